"""The checks every import shares: RawResponses + Instrument + Policy -> ResponseSet.

Platform readers only find the columns; everything judged about the answers happens here,
once, column by column (each check is vectorised over the rows):

========================  ======================================  =====================
check                     what it looks at                        default action
========================  ======================================  =====================
``missing_column``        an item, ``respondent_id`` or a         error (file refused)
                          required group question has no
                          column
``missing_column``        a check or optional group is absent     warning (left blank)
``unknown_column``        a column the instrument does not know   warning (kept in meta)
``empty_row``             every cell of the row is empty          reject the row
``missing_id``            ``respondent_id`` is empty              reject the row
``duplicate_id``          ``respondent_id`` seen in an earlier    reject the later row
                          row
``out_of_range``          a number that is not a point of the     blank the cell, warn
                          item's scale (``7`` on 1-5, ``2.5``)
``unknown_label``         text that is neither a code nor a       blank the cell, warn
                          label of the scale in any language
``non_numeric``           text without letters that is not a      blank the cell, warn
                          number (``?``, ``3-4``)
``unknown_choice``        a group answer that is neither a code   blank the cell, warn
                          nor a label of its choices
``cell_count``            a row of a text file with more or       reject the row
                          fewer cells than the header (set by
                          the reader: its answers would be read
                          from the wrong columns)
``repeated_header``       the row repeats a header row (files     reject the row
                          joined with their headers)
``missing_group_answer``  a required group question is            keep, flag
                          unanswered (or its answer was blanked
                          as unknown)
``similar_codes``         answers to the cluster question (lab)   warning
                          that differ only in case, spaces or
                          width (``CN-01``, ``cn-01``, ``ＣＮ-01``)
``failed_attention_       an attention check answered other than  keep, flag
check``                   expected (an unanswered check is not
                          a failure)
``unfinished``            the platform marks the response         keep, flag
                          unfinished
``speeder``               duration below ``min_duration``         keep, flag
========================  ======================================  =====================

Codes and labels: an answer given as a code (``4``, ``china``) or as a label in any of
the instrument's languages (``Agree``, ``同意``, ``United States``, ``美国``) becomes the
code; case, width (full-width digits) and runs of spaces do not matter, and digits of any
script (Arabic-Indic ``٤``, Devanagari ``४``) read as the digits they are.

A flagged row stays in the data; ``ResponseSet.meta["flags"]`` lists its flags joined by
``;`` (empty when none). Rejected rows are left out of ``data``; ``log.rejected`` maps
their row numbers to the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.errors import ResponseFileError
from survey.responses.model import ImportLog, RawResponses, ResponseSet
from survey.responses.tables import as_text, normalise_name

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument, Scale

__all__ = ["Policy", "cluster_question", "label_map", "refuse_missing_columns", "validate"]

#: Rejection reasons in the order they are decided (the first applying one is recorded).
_REJECT_ORDER = ("empty_row", "cell_count", "repeated_header", "missing_id", "duplicate_id",
                 "unfinished", "failed_attention_check", "missing_group_answer", "speeder")


@dataclass(frozen=True)
class Policy:
    """What to do with rows that need attention.

    Defaults follow common survey-cleaning practice: keep every answer that can be kept,
    flag rather than drop respondents whose carefulness is in doubt (the analyst decides,
    and can report with and without them), and never let an unreadable cell through.

    Attributes
    ----------
    reject_failed_checks : bool
        Reject rows that fail an attention check (default: keep and flag).
    reject_unfinished : bool
        Reject responses the platform marks unfinished (default: keep and flag).
    min_duration : float or None
        Seconds; a response faster than this is a speeder (default: no speeder check).
    reject_speeders : bool
        Reject speeders instead of flagging them (default: keep and flag).
    reject_missing_groups : bool
        Reject rows that leave a required group question unanswered (default: keep and
        flag; the row counts in no comparison by that question either way).
    """

    reject_failed_checks: bool = False
    reject_unfinished: bool = False
    min_duration: float | None = None
    reject_speeders: bool = False
    reject_missing_groups: bool = False


def label_map(labels: dict[str, tuple[str, ...]] | None, codes: list[object]) -> dict[str, object]:
    """Normalised label or code text -> code, for every language.

    Parameters
    ----------
    labels : dict of str to tuple of str, or None
        Per language, the label of each code in ``codes`` order.
    codes : list
        The codes (scale points or choice codes).

    Returns
    -------
    dict
        :func:`~survey.responses.tables.normalise_name` of each code and each label ->
        the code.
    """
    out: dict[str, object] = {}
    for code in codes:
        out[normalise_name(code)] = code
    if labels:
        for ls in labels.values():
            for code, lab in zip(codes, ls, strict=False):
                out.setdefault(normalise_name(lab), code)
    return out


def _scale_map(scale: Scale) -> dict[str, object]:
    return label_map(dict(scale.labels), list(scale.points))


def _factor(s: pd.Series) -> tuple[np.ndarray, list]:
    """``(codes, distinct values)`` of a column; code -1 for a missing cell.

    Every check below works on the distinct values of a column and gathers the result
    with the codes: a column of 100,000 answers has a handful of distinct ones.
    """
    import pandas as pd

    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    return codes, list(uniques)


def _gather(codes: np.ndarray, table: list, index: pd.Index) -> pd.Series:
    """An object Series holding ``table[code]`` per cell, None where code is -1."""
    import numpy as np
    import pandas as pd

    lookup = np.empty(len(table) + 1, dtype=object)
    lookup[: len(table)] = table
    lookup[len(table)] = None
    return pd.Series(lookup[np.where(codes < 0, len(table), codes)], index=index, dtype=object)


def _stripped(v: object) -> object:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def _strip(s: pd.Series) -> pd.Series:
    """Cells as stripped text, blank -> None (numeric columns are returned as they are)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype):
        return s
    codes, uniques = _factor(s)
    return _gather(codes, [_stripped(v) for v in uniques], s.index)


def _text(s: pd.Series) -> pd.Series:
    """Stripped cells as ``str`` (whole numbers without ``.0``), missing as None."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype):
        return as_text(s.astype("float64"))
    codes, uniques = _factor(s)
    table = []
    for v in uniques:
        v = _stripped(v)
        table.append(None if v is None or _isna(v) else
                     (v if isinstance(v, str) else _cell_text(v)))
    return _gather(codes, table, s.index)


def _map_unique(s: pd.Series, func) -> pd.Series:
    """``s.map(func)`` computed once per distinct value (None stays None)."""
    codes, uniques = _factor(s)
    return _gather(codes, [func(v) for v in uniques], s.index)


def validate(
    raw: RawResponses,
    instrument: Instrument,
    policy: Policy | None = None,
    log: ImportLog | None = None,
) -> ResponseSet:
    """Check and convert what a reader found into a :class:`ResponseSet`.

    Parameters
    ----------
    raw : RawResponses
        From a platform reader; ``raw.frame`` columns already renamed to instrument
        variables where recognised, index = row numbers in the file.
    instrument : Instrument
        What the answers answer.
    policy : Policy, optional
        Row policies (defaults: see :class:`Policy`).
    log : ImportLog, optional
        A log to continue (notes from reading); a new one otherwise.

    Returns
    -------
    ResponseSet
        ``data`` with exactly ``instrument.columns`` (``respondent_id`` as text, choice
        groups categorical over the instrument's codes, text groups as text, items and
        checks ``Int64``), ``meta`` with ``source_row``, ``flags``, the platform metadata
        and unknown columns, and the log.

    Raises
    ------
    ResponseFileError
        When ``respondent_id``, an item or a required group column is missing.
    """
    import numpy as np
    import pandas as pd

    policy = policy or Policy()
    if log is None:
        log = ImportLog(file=raw.file, platform=raw.platform)
    for note in raw.notes:
        if note not in log.notes:
            log.notes.append(note)
    frame = raw.frame
    rows = frame.index
    log.rows_read = len(frame)

    # ---- whole-file checks ----------------------------------------------------------
    present = set(frame.columns)
    refuse_missing_columns(raw, instrument)
    for c in instrument.columns:
        if c not in present:
            log.add("missing_column", "warning",
                    f"column '{c}' is not in the file; left blank", column=c)
    known_vars = set(instrument.columns)
    meta_cols = [c for c in raw.meta_columns if c in present and c not in known_vars]
    unknown = [c for c in frame.columns if c not in known_vars and c not in set(meta_cols)]
    for c in unknown:
        log.add("unknown_column", "warning",
                f"column '{c}' is not in instrument '{instrument.id}'; kept in meta",
                column=str(c))

    # ---- parse every column (vectorised) --------------------------------------------
    n = len(frame)
    cell_problems: list[tuple[np.ndarray, str, pd.Series, str, str]] = []
    out: dict[str, pd.Series] = {}
    col_order = {c: i for i, c in enumerate(instrument.columns)}

    ids = _text(frame["respondent_id"])
    out["respondent_id"] = ids

    for g in instrument.groups:
        if g.id not in present:
            out[g.id] = pd.Series([None] * n, index=rows, dtype=object)
            continue
        s = _text(frame[g.id])
        if g.type == "choice":
            mapping = label_map({k: tuple(c.label.get(k, "") for c in g.choices)
                                 for k in instrument.languages}, list(g.codes))
            codes = _map_unique(s, lambda v, m=mapping: m.get(normalise_name(v)))
            bad = (s.notna() & codes.isna()).to_numpy()
            if bad.any():
                cell_problems.append((bad, g.id, s, "unknown_choice",
                                      f"is not a choice of '{g.id}' ({', '.join(g.codes)}) in "
                                      "any language; cell left blank"))
            out[g.id] = codes
        else:
            out[g.id] = s

    for var in (*instrument.item_ids, *instrument.check_ids):
        if var not in present:
            out[var] = pd.Series(pd.array([pd.NA] * n, dtype="Int64"), index=rows)
            continue
        scale = instrument.scale_of(var)
        values, problems = _parse_scale_column(frame[var], scale)
        out[var] = values
        for mask, reason, message in problems:
            cell_problems.append((mask, var, frame[var], reason, message))

    # ---- row checks -------------------------------------------------------------------
    reject = pd.Series([None] * n, index=rows, dtype=object)
    reject_col: dict[int, tuple[str | None, object, str]] = {}
    flags: dict[str, np.ndarray] = {}

    empty = _row_is_empty(frame).to_numpy()
    _mark(reject, empty, "empty_row")
    structural = empty.copy()
    for reason in ("cell_count", "repeated_header"):
        bad = np.array([raw.bad_rows.get(r, ("",))[0] == reason for r in rows], dtype=bool) \
            if raw.bad_rows else np.zeros(n, dtype=bool)
        _mark(reject, bad, reason)
        structural |= bad
    for r, (_, message) in raw.bad_rows.items():
        if r in reject.index:
            reject_col[r] = (None, None, message)
    missing_id = (~structural) & ids.isna().to_numpy()
    _mark(reject, missing_id, "missing_id")
    has_id = ids.notna().to_numpy() & ~structural
    dup = np.zeros(n, dtype=bool)
    if has_id.any():
        idv = ids[has_id]
        dup_sub = idv.duplicated(keep="first").to_numpy()
        dup[np.flatnonzero(has_id)[dup_sub]] = True
        first_row = {}
        if dup_sub.any():
            repeated = set(idv[dup_sub])
            firsts = ~dup_sub & idv.isin(repeated).to_numpy()
            for r, v in zip(idv.index[firsts], idv[firsts], strict=True):
                first_row.setdefault(v, r)
        for r, v in zip(idv.index[dup_sub], idv[dup_sub], strict=True):
            reject_col[r] = ("respondent_id", v,
                             f"respondent_id '{v}' already used in {_row_name(raw, first_row[v])}"
                             "; the first occurrence is kept")
    _mark(reject, dup, "duplicate_id")

    unfinished = np.zeros(n, dtype=bool)
    if raw.finished is not None:
        fin = raw.finished.reindex(rows)
        unfinished = np.array(fin.astype(object) == False, dtype=bool) & ~empty  # noqa: E712
    if unfinished.any():
        if policy.reject_unfinished:
            _mark(reject, unfinished, "unfinished")
        flags["unfinished"] = unfinished

    failed = np.zeros(n, dtype=bool)
    failed_which: dict[int, str] = {}
    for chk in instrument.checks:
        v = out[chk.id]
        f = (v.notna() & (v != chk.expect)).fillna(False).to_numpy(dtype=bool) & ~empty
        for r in rows[f & ~failed]:
            failed_which[r] = chk.id
        failed |= f
    if failed.any():
        if policy.reject_failed_checks:
            _mark(reject, failed, "failed_attention_check")
        flags["failed_attention_check"] = failed

    no_group = np.zeros(n, dtype=bool)
    no_group_which: dict[int, str] = {}
    for g in instrument.groups:
        if not g.required or g.id not in present:
            continue
        blank = out[g.id].isna().to_numpy() & ~structural
        for r in rows[blank & ~no_group]:
            no_group_which[r] = g.id
        no_group |= blank
    if no_group.any():
        if policy.reject_missing_groups:
            _mark(reject, no_group, "missing_group_answer")
        flags["missing_group_answer"] = no_group

    speeder = np.zeros(n, dtype=bool)
    dur = None
    if raw.duration is not None:
        dur = pd.to_numeric(raw.duration.reindex(rows), errors="coerce")
    if policy.min_duration is not None:
        if dur is None:
            log.notes.append("speeder check skipped: the file records no durations")
        else:
            speeder = (dur < policy.min_duration).fillna(False).to_numpy(dtype=bool) & ~empty
            if speeder.any():
                if policy.reject_speeders:
                    _mark(reject, speeder, "speeder")
                flags["speeder"] = speeder

    rejected = reject.notna().to_numpy()
    keep = ~rejected

    # ---- records, in file order -------------------------------------------------------
    records: list[tuple[int, int, str | None, object, str, str, str]] = []
    # (row, column order, column, value, reason, action, message)
    width = len(instrument.columns) + 1
    for r, reason in reject[rejected].items():
        col, value, msg = reject_col.get(r, (None, None, _REJECT_MESSAGES.get(reason, "")))
        if reason == "failed_attention_check":
            cid = failed_which[r]
            col, value = cid, frame.at[r, cid]
            msg = (f"attention check '{cid}' answered {_cell_text(value)}, expected "
                   f"{instrument.check(cid).expect}; row rejected (--reject-failed-checks)")
        elif reason == "speeder":
            msg = (f"took {dur[r]:g} s, under the minimum of {policy.min_duration:g} s; "
                   "row rejected")
        elif reason == "unfinished":
            msg = "the platform marks this response unfinished; row rejected (--reject-unfinished)"
        elif reason == "missing_group_answer":
            col = no_group_which[r]
            value = frame.at[r, col]
            msg = (f"the required group question '{col}' is unanswered"
                   + (f" (its answer {_shown(value)} is not a choice)" if not _isna(value)
                      else "") + "; row rejected (--reject-missing-groups)")
        col = col or _REJECT_COLUMNS.get(reason)
        records.append((r, -1, col, value, reason, "rejected", msg))
    for mask, col, src, reason, msg in cell_problems:
        m = mask & keep
        if not m.any():
            continue
        for r, value in src[m].items():
            records.append((r, col_order.get(col, width), col, value, reason, "blanked",
                            f"{_shown(value)} {msg}"))
    for flag, mask in flags.items():
        m = mask & keep
        for r in rows[m]:
            if flag == "failed_attention_check":
                cid = failed_which[r]
                col, value = cid, frame.at[r, cid]
                msg = (f"attention check '{cid}' answered {_cell_text(value)}, expected "
                       f"{instrument.check(cid).expect}; row kept and flagged")
            elif flag == "speeder":
                col, value = None, dur[r]
                msg = (f"took {dur[r]:g} s, under the minimum of {policy.min_duration:g} s; "
                       "row kept and flagged")
            elif flag == "missing_group_answer":
                col = no_group_which[r]
                value = frame.at[r, col]
                msg = (f"the required group question '{col}' is unanswered"
                       + (f" (its answer {_shown(value)} is not a choice)" if not _isna(value)
                          else "")
                       + "; row kept and flagged (it counts in no comparison by "
                       f"{col}; --reject-missing-groups rejects it)")
            else:
                col, value = None, None
                msg = "the platform marks this response unfinished; row kept and flagged"
            records.append((r, col_order.get(col, width) if col else width, col, value, flag,
                            "flagged", msg))
    records.sort(key=lambda t: (t[0], t[1]))
    for r, _, col, value, reason, action, msg in records:
        src_col = raw.sources.get(col, col) if col else None
        log.add(reason, action, msg, row=int(r), column=src_col,
                value=None if _isna(value) else _cell_text(value))
    _warn_similar_codes(out, keep, instrument, raw, log)

    # ---- assemble ---------------------------------------------------------------------
    data = pd.DataFrame(index=rows[keep])
    data["respondent_id"] = pd.Series(out["respondent_id"][keep], dtype="str")
    for g in instrument.groups:
        v = out[g.id][keep]
        if g.type == "choice":
            data[g.id] = pd.Categorical(v.astype(object).where(v.notna(), None),
                                        categories=list(g.codes))
        else:
            data[g.id] = v.astype("str").where(v.notna(), np.nan) if len(v) else \
                pd.Series([], dtype="str")
            data[g.id] = data[g.id].astype("str")
    for var in (*instrument.item_ids, *instrument.check_ids):
        data[var] = out[var][keep]
    data = data[list(instrument.columns)]
    data = data.reset_index(drop=True)

    meta = pd.DataFrame(index=rows[keep])
    meta["source_row"] = np.asarray(rows[keep], dtype=np.int64)
    flag_text = np.full(n, "", dtype=object)
    for flag in ("unfinished", "failed_attention_check", "missing_group_answer", "speeder"):
        if flag in flags:
            m = flags[flag]
            flag_text[m] = np.where(flag_text[m] == "", flag, flag_text[m] + ";" + flag)
    meta["flags"] = pd.Series(flag_text[keep], index=rows[keep], dtype="str")
    if raw.finished is not None:
        meta["finished"] = raw.finished.reindex(rows)[keep].astype("boolean")
    if dur is not None:
        meta["duration_seconds"] = dur[keep].astype("float64")
    extra = {}
    for c in [*meta_cols, *unknown]:
        if c in meta.columns or c in extra:
            continue
        extra[c] = as_text(frame[c][keep])
    if extra:
        # one concat: wide platform exports (hundreds of metadata columns) would
        # otherwise fragment the frame column by column
        meta = pd.concat([meta, pd.DataFrame(extra, index=meta.index)], axis=1)
    meta = meta.reset_index(drop=True)
    return ResponseSet(data=data, instrument=instrument, log=log, meta=meta)


_REJECT_MESSAGES = {
    "empty_row": "every cell is empty; row rejected",
    "missing_id": "respondent_id is empty; row rejected (every response needs an id)",
}
_REJECT_COLUMNS = {"missing_id": "respondent_id"}


def cluster_question(instrument: Instrument) -> str | None:
    """The grouping question that names each respondent's cluster (lab), or None when
    the instrument says respondents are not clustered (``cluster: null``)."""
    return getattr(instrument, "cluster", "lab")


def _code_key(value: str) -> str:
    """A cluster code folded for spotting near-duplicates: width, case, and the spaces,
    dashes, dots and underscores between its letters and digits (``CN-01``, ``cn 01``,
    ``ＣＮ－０１`` fold alike; ``CN-1`` stays apart, it may be another lab)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _warn_similar_codes(out: dict, keep, instrument: Instrument, raw: RawResponses,
                        log: ImportLog) -> None:
    """Warn when answers to the cluster question differ only in case, spaces or width.

    ``CN-01`` and ``cn-01`` would count as two labs; the values are named so that the
    user can correct the file (or recode with ``--map``). Nothing is merged silently.
    """
    from collections import Counter

    var = cluster_question(instrument)
    if var is None or var not in out or var not in raw.frame.columns:
        return
    values = out[var][keep]
    counts = Counter(v for v in values if isinstance(v, str))
    groups: dict[str, list[str]] = {}
    for v in counts:
        groups.setdefault(_code_key(v), []).append(v)
    column = raw.sources.get(var, var)
    for variants in groups.values():
        if len(variants) < 2:
            continue
        variants.sort(key=lambda v: (-counts[v], v))
        shown = ", ".join(f"{v!r} ({counts[v]} row{'s' if counts[v] > 1 else ''})"
                          for v in variants[:6])
        log.add("similar_codes", "warning",
                f"{var} answers {shown} differ only in case, spaces, dashes or character "
                f"width, so "
                f"they count as {len(variants)} different {var}s; correct them in the file "
                "or recode them with --map",
                column=column, value=variants[0])


def refuse_missing_columns(raw: RawResponses, instrument: Instrument) -> None:
    """Refuse a file without a column the instrument needs, saying what kind it is.

    Missing items name every missing column; a missing required group question
    (``lab``) is called what it is, not an item.

    Parameters
    ----------
    raw : RawResponses
        What a reader found.
    instrument : Instrument
        The instrument the file should answer.

    Raises
    ------
    ResponseFileError
        Naming the file, its header row and what is missing.
    """
    from survey.errors import did_you_mean

    present = set(raw.frame.columns)
    known = [str(c) for c in raw.frame.columns if c not in set(instrument.columns)]
    groups = [g.id for g in instrument.groups if g.required and g.id not in present]
    missing = [c for c in ("respondent_id", *groups, *instrument.item_ids)
               if c not in present]
    if not missing:
        return
    hint = did_you_mean(missing[0], known) if len(missing) == 1 else ""
    items = [c for c in instrument.item_ids if c not in present]
    if items:
        shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        note = ""
        if groups:
            note = (f" ({', '.join(groups)} {'is a' if len(groups) == 1 else 'are'} required "
                    f"group question{'s' if len(groups) > 1 else ''})")
        message = (f"{len(missing)} column{'s' if len(missing) > 1 else ''} of instrument "
                   f"'{instrument.id}' missing: {shown}{note}; the header row must name every "
                   f"item (or use --map to rename columns).{hint}")
    elif groups:
        s = "s" if len(groups) > 1 else ""
        message = (f"no column for the required group question{s} "
                   + ", ".join(f"'{g}'" for g in groups)
                   + (" (nor respondent_id)" if "respondent_id" in missing else "")
                   + f"; the header row must name {'them' if s else 'it'} (or use --map to "
                   "rename a column, or mark the question required: false in the "
                   f"instrument).{hint}")
    else:
        message = ("no respondent_id column; the header row must name the respondent id "
                   f"(or use --map to rename a column).{hint}")
    raise ResponseFileError(message, file=raw.file, row=raw.header_row,
                            column=missing[0] if len(missing) == 1 else None)


def _row_name(raw: RawResponses, r: object) -> str:
    """``row 5``, or ``row 5 of b.csv`` when several files were merged."""
    if raw.origin is None:
        return f"row {r}"
    return f"row {raw.origin.at[r, 'row']} of {raw.origin.at[r, 'file']}"


def _mark(reject: pd.Series, mask, reason: str) -> None:
    m = mask & reject.isna().to_numpy()
    if m.any():
        reject[m] = reason


def _isna(v: object) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _shown(v: object, limit: int = 60) -> str:
    """A cell's text quoted for a message, cut to ``limit`` characters (the log's
    ``value`` column keeps it whole)."""
    text = _cell_text(v)
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text):,} characters)"
    return repr(text)


def _row_is_empty(frame: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    empty = np.ones(len(frame), dtype=bool)
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype):
            empty &= s.isna().to_numpy()
        else:
            codes, uniques = _factor(s)
            blank = np.array([_stripped(v) is None for v in uniques] + [True], dtype=bool)
            empty &= blank[np.where(codes < 0, len(uniques), codes)]
        if not empty.any():
            break
    return pd.Series(empty, index=frame.index)


def _parse_scale_column(s: pd.Series, scale: Scale):
    """Codes of one item column: (Int64 series, [(mask, reason, message), ...]).

    A numeric column (workbooks, numbers read as numbers) is checked in bulk with numpy;
    a text column through its distinct values, each parsed once (stripped, digits of any
    script folded, a number or a label in any language) and gathered back per cell.
    """
    import numpy as np
    import pandas as pd

    points = np.asarray(scale.points, dtype=np.float64)
    rng = f"{scale.min}-{scale.max}" if list(scale.points) == list(
        range(scale.min, scale.max + 1)) else ", ".join(map(str, scale.points))
    problems = []
    if pd.api.types.is_numeric_dtype(s.dtype):
        nv = s.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isin(nv, points)
        out_of_range = ~np.isnan(nv) & ~ok
        codes = np.where(ok, nv, np.nan)
        unknown_label = non_numeric = None
    else:
        factor, uniques = _factor(s)
        mapping = None
        # per distinct value: (code or nan, kind) with kind 0 ok/blank, 1 out of range,
        # 2 unknown label, 3 not a number
        code_of = np.full(len(uniques) + 1, np.nan)
        kind_of = np.zeros(len(uniques) + 1, dtype=np.int8)
        stripped = [_stripped(v) for v in uniques]
        # numbers as pandas.to_numeric reads them, once for all the distinct texts
        nums = pd.to_numeric(pd.Series([_fold_digits(t) if isinstance(t, str) else t
                                        for t in stripped], dtype=object),
                             errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan) \
            if stripped else np.zeros(0)
        for k, t in enumerate(stripped):
            if t is None or _isna(t):
                continue
            num = nums[k]
            if not np.isnan(num):
                if num in points:
                    code_of[k] = num
                else:
                    kind_of[k] = 1
                continue
            if mapping is None:
                mapping = _scale_map(scale)
            found = mapping.get(normalise_name(t))
            if found is not None:
                code_of[k] = float(found)
            elif any(ch.isalpha() for ch in str(t)):
                kind_of[k] = 2
            else:
                kind_of[k] = 3
        where = np.where(factor < 0, len(uniques), factor)
        codes = code_of[where]
        kinds = kind_of[where]
        out_of_range = kinds == 1
        unknown_label = kinds == 2
        non_numeric = kinds == 3
    if unknown_label is not None and unknown_label.any():
        problems.append((unknown_label, "unknown_label",
                         f"is neither a code ({rng}) nor a label of scale "
                         f"'{scale.id}' in any language; cell left blank"))
    if non_numeric is not None and non_numeric.any():
        problems.append((non_numeric, "non_numeric",
                         f"is not a number; scale '{scale.id}' takes {rng}; cell "
                         "left blank"))
    if out_of_range.any():
        problems.append((out_of_range, "out_of_range",
                         f"is not a point of scale '{scale.id}' ({rng}); cell left blank"))
    mask = np.isnan(codes)
    values = pd.Series(pd.arrays.IntegerArray(np.where(mask, 0, codes).astype(np.int64),
                                              mask), index=s.index)
    return values, problems


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋٫", "0123456789.-+.")


def _fold_digits(v: object) -> object:
    """Full-width signs and digits of any script (``٤``, ``४``, ``４``) as ASCII."""
    if not isinstance(v, str) or v.isascii():
        return v
    import unicodedata

    v = v.translate(_FULLWIDTH)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii()
                   else ch for ch in v)
