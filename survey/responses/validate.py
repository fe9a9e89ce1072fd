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
from survey.wording import count

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
    return pd.Series(lookup[np.where(codes < 0, len(table), codes)], index=index, dtype=object,
                     copy=False)


def _stripped(v: object) -> object:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def stripped_values(values: list) -> tuple[list, bool]:
    """``[_stripped(v) for v in values]`` and whether every value is text.

    Distinct values of a column of ids number as many as its rows; when they are all
    text they are checked in bulk: a value whose first and last characters are printable
    ASCII other than a space is its own stripped form, and only the others (a leading
    space, a full-width space, an empty cell) are stripped one by one.

    Examples
    --------
    >>> stripped_values([" a ", "b", "", 4])
    (['a', 'b', None, 4], False)
    """
    if len(values) < 256:
        return [_stripped(v) for v in values], all(isinstance(v, str) for v in values)
    import numpy as np
    import pyarrow as pa

    try:
        arr = pa.array(values)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers among the text
        arr = None
    if arr is None or arr.type != pa.string() or arr.null_count:  # not all str
        return [_stripped(v) for v in values], False
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=len(arr) + 1)
    data = arr.buffers()[2]
    chars = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    filled = lengths > 0
    first = chars[np.where(filled, offsets[:-1], 0)]
    last = chars[np.where(filled, offsets[1:] - 1, 0)]
    plain = filled & (first > 32) & (first < 127) & (last > 32) & (last < 127)
    out = list(values)
    for k in np.flatnonzero(~plain).tolist():
        out[k] = _stripped(out[k])
    return out, True


def _text(s: pd.Series) -> pd.Series:
    """Stripped cells as ``str`` (whole numbers without ``.0``), missing as None."""
    return _gather(*_text_codes(s), s.index)


def _text_codes(s: pd.Series) -> tuple[np.ndarray, list]:
    """:func:`_text` as ``(codes, table)``: cell ``i`` is ``table[codes[i]]``, None where
    the code is -1 (see :func:`_gather`)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s.dtype):
        return _factor(as_text(s.astype("float64")))
    codes, uniques = _factor(s)
    table, text = stripped_values(uniques)
    if not text:
        table = [None if v is None or _isna(v) else
                 (v if isinstance(v, str) else _cell_text(v)) for v in table]
    return codes, table


def _gather_mask(codes: np.ndarray, table: list[bool], missing: bool = True) -> np.ndarray:
    """A boolean per cell: ``table[code]``, ``missing`` where the code is -1."""
    import numpy as np

    lookup = np.array([*table, missing], dtype=bool)
    return lookup[np.where(codes < 0, len(table), codes)]


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

    factor, table = _text_codes(frame["respondent_id"])
    ids = _gather(factor, table, rows)
    ids_missing = _gather_mask(factor, [v is None for v in table])
    out["respondent_id"] = ids

    blank_group: dict[str, np.ndarray] = {}   # per group: unanswered (or blanked) cells
    choice_codes: dict[str, np.ndarray] = {}  # per choice group: category codes, -1 none
    for g in instrument.groups:
        if g.id not in present:
            out[g.id] = pd.Series([None] * n, index=rows, dtype=object)
            blank_group[g.id] = np.ones(n, dtype=bool)
            if g.type == "choice":
                choice_codes[g.id] = np.full(n, -1, dtype=np.int64)
            continue
        factor, table = _text_codes(frame[g.id])
        s = _gather(factor, table, rows)
        if g.type == "choice":
            mapping = label_map({k: tuple(c.label.get(k, "") for c in g.choices)
                                 for k in instrument.languages}, list(g.codes))
            found = [None if v is None else mapping.get(normalise_name(v)) for v in table]
            codes = _gather(factor, found, rows)
            category = {c: k for k, c in enumerate(g.codes)}
            lookup = np.array([category.get(f, -1) if f is not None else -1 for f in found]
                              + [-1], dtype=np.int64)
            choice_codes[g.id] = lookup[np.where(factor < 0, len(found), factor)]
            blank_group[g.id] = choice_codes[g.id] < 0
            bad = _gather_mask(factor, [v is not None and f is None
                                        for v, f in zip(table, found, strict=True)],
                               missing=False)
            if bad.any():
                cell_problems.append((bad, g.id, s, "unknown_choice",
                                      f"is not a choice of '{g.id}' ({', '.join(g.codes)}) in "
                                      "any language; cell left blank"))
            out[g.id] = codes
        else:
            out[g.id] = s
            blank_group[g.id] = _gather_mask(factor, [v is None for v in table])

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
    reject = _Rejections(n)
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
        if r in rows:
            reject_col[r] = (None, None, message)
    no_id = ids_missing.copy()
    missing_id = (~structural) & no_id
    _mark(reject, missing_id, "missing_id")
    has_id = ~no_id & ~structural
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
        blank = blank_group[g.id] & ~structural
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
        dur = pd.to_numeric(raw.duration.reindex(rows), errors="coerce").astype("float64")
        # a negative or infinite time (a clock set wrong, an end before its start, 'inf'
        # typed in) is no time: it neither makes nor clears a speeder
        odd = ~(np.isfinite(dur) | dur.isna())
        odd |= dur < 0
        if odd.any():
            dur = dur.mask(odd)
            log.notes.append(f"durations negative or infinite in {count(int(odd.sum()), 'row')}:"
                             " taken as unknown (no speeder check for those rows)")
    if policy.min_duration is not None:
        if dur is None:
            log.notes.append("speeder check skipped: the file records no durations")
        else:
            speeder = (dur < policy.min_duration).fillna(False).to_numpy(dtype=bool) & ~empty
            if speeder.any():
                if policy.reject_speeders:
                    _mark(reject, speeder, "speeder")
                flags["speeder"] = speeder

    rejected = reject.decided
    keep = ~rejected

    # ---- records, in file order -------------------------------------------------------
    cell = _cell_reader(frame)
    records: list[tuple[int, int, str | None, object, str, str, str]] = []
    # (row, column order, column, value, reason, action, message)
    width = len(instrument.columns) + 1
    for r, reason in zip(rows[rejected], reject.reasons[rejected], strict=True):
        col, value, msg = reject_col.get(r, (None, None, _REJECT_MESSAGES.get(reason, "")))
        if reason == "failed_attention_check":
            cid = failed_which[r]
            col, value = cid, cell(r, cid)
            msg = (f"attention check '{cid}' answered {_cell_text(value)}, expected "
                   f"{instrument.check(cid).expect}; row rejected (--reject-failed-checks)")
        elif reason == "speeder":
            msg = (f"took {dur[r]:g} s, under the minimum of {policy.min_duration:g} s; "
                   "row rejected")
        elif reason == "unfinished":
            msg = "the platform marks this response unfinished; row rejected (--reject-unfinished)"
        elif reason == "missing_group_answer":
            col = no_group_which[r]
            value = cell(r, col)
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
                col, value = cid, cell(r, cid)
                msg = (f"attention check '{cid}' answered {_cell_text(value)}, expected "
                       f"{instrument.check(cid).expect}; row kept and flagged")
            elif flag == "speeder":
                col, value = None, dur[r]
                msg = (f"took {dur[r]:g} s, under the minimum of {policy.min_duration:g} s; "
                       "row kept and flagged")
            elif flag == "missing_group_answer":
                col = no_group_which[r]
                value = cell(r, col)
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
    # column by column into one frame: no block is copied or consolidated on the way
    everyone = bool(keep.all())
    cols: dict[str, object] = {
        "respondent_id": pd.Series(out["respondent_id"] if everyone else
                                   out["respondent_id"][keep], dtype="str").array}
    for g in instrument.groups:
        if g.type == "choice":
            cols[g.id] = pd.Categorical.from_codes(
                choice_codes[g.id] if everyone else choice_codes[g.id][keep],
                categories=list(g.codes))
            continue
        v = out[g.id] if everyone else out[g.id][keep]
        cols[g.id] = v.astype("str").array  # None becomes missing
    for var in (*instrument.item_ids, *instrument.check_ids):
        cols[var] = (out[var] if everyone else out[var][keep]).array
    data = pd.DataFrame({c: cols[c] for c in instrument.columns},
                        index=pd.RangeIndex(int(keep.sum())), copy=False)

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

    import numpy as np

    var = cluster_question(instrument)
    if var is None or var not in out or var not in raw.frame.columns:
        return
    codes, uniques = _factor(out[var][keep])
    tally = np.bincount(codes[codes >= 0], minlength=len(uniques)).tolist()
    counts = Counter({v: k for v, k in zip(uniques, tally, strict=True) if isinstance(v, str)})
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
        advice = ("none of its items is in the file: name the instrument the file answers "
                  "with -i (or rename columns with --map)" if len(items) == len(
                      instrument.item_ids) else
                  "the header row must name every item (or use --map to rename columns)")
        message = (f"{len(missing)} column{'s' if len(missing) > 1 else ''} of instrument "
                   f"'{instrument.id}' missing: {shown}{note}; {advice}.{hint}")
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


def _cell_reader(frame: pd.DataFrame):
    """``cell(row, column)``: ``frame.at[row, column]`` with each column fetched once."""
    columns: dict[object, object] = {}
    index = frame.index

    def cell(row: object, column: object) -> object:
        values = columns.get(column)
        if values is None:
            values = columns[column] = frame[column].to_numpy()
        return values[index.get_loc(row)]

    return cell


class _Rejections:
    """Per row, whether it is rejected and the first reason that applied."""

    def __init__(self, n: int) -> None:
        import numpy as np

        self.decided = np.zeros(n, dtype=bool)
        self.reasons = np.full(n, None, dtype=object)


def _mark(reject: _Rejections, mask, reason: str) -> None:
    m = mask & ~reject.decided
    if m.any():
        reject.reasons[m] = reason
        reject.decided |= m


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
    # number columns first (cheap to look at); text only in the rows still in question
    columns = sorted(range(frame.shape[1]),
                     key=lambda j: not pd.api.types.is_numeric_dtype(frame.dtypes.iloc[j]))
    for j in columns:
        if not empty.any():
            break
        s = frame.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s.dtype):
            empty &= s.isna().to_numpy()
            continue
        where = np.flatnonzero(empty)
        codes, uniques = _factor(s.iloc[where] if len(where) < len(s) else s)
        blank = np.array([v is None for v in stripped_values(uniques)[0]] + [True],
                         dtype=bool)
        empty[where] = blank[np.where(codes < 0, len(uniques), codes)]
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
        # float64 (a parsed file's numbers) as it is: to_numpy with na_value copies
        nv = s.to_numpy() if s.dtype == np.float64 else \
            s.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isin(nv, points)
        out_of_range = ~ok
        out_of_range &= ~np.isnan(nv)
        # the Int64 column straight from the numbers, without float intermediates
        whole = np.zeros(len(nv), dtype=np.int64)
        np.copyto(whole, nv, casting="unsafe", where=ok)
        values = pd.Series(pd.arrays.IntegerArray(whole, ~ok), index=s.index, copy=False)
        if out_of_range.any():
            return values, [(out_of_range, "out_of_range",
                             f"is not a point of scale '{scale.id}' ({rng}); cell left "
                             "blank")]
        return values, problems
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
                                              mask), index=s.index, copy=False)
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
