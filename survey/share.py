"""The shared data package: a Frictionless Data Package of de-identified responses.

:func:`write_package` turns a :class:`~analysis.disclosure.Protection` into the files of
the package, as a ``{relative path: bytes}`` mapping (nothing here touches the
filesystem or the clock, so the same input gives the same bytes):

==============================  ============================================================
``datapackage.json``            the Data Package descriptor: every resource, and for
                                ``data.csv`` a Table Schema with each field's type, value
                                labels (``categories``), constraints, keying and the
                                missing-value marker
``data.csv``                    the protected responses in the template layout, which
                                ``survey report`` reads like any other file
``instrument.yaml``             the instrument the data answer: the original with banded
                                questions' choices replaced by their bands and blanked
                                identifying questions made optional
``codebook.md``                 that instrument's codebook
``README.md``                   what the package holds, the risk before and after, each
                                protection and what it cost, how to analyse, the licence
``disclosure/*.csv``            the risk per stage, the protection steps, the blanked cells,
                                and the group means and hypothesis results on the original
                                and the shared data side by side
==============================  ============================================================

Frictionless's ``frictionless validate datapackage.json`` accepts the package (checked in
the tests). Value labels use Table Schema v2 ``categories``; the labels of every language
of the instrument are joined by `` / ``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.disclosure import Protection
    from survey.instrument import Instrument

__all__ = ["PACKAGE_FILES", "Utility", "derived_instrument", "field_schema", "write_package"]

#: The files of the package, in the order they are written.
PACKAGE_FILES = ("datapackage.json", "data.csv", "instrument.yaml", "codebook.md",
                 "README.md", "disclosure/risk.csv", "disclosure/protection.csv",
                 "disclosure/suppressed.csv", "disclosure/utility_means.csv",
                 "disclosure/utility_hypotheses.csv")

_DISCLOSURE = {
    "risk": "Disclosure risk at each stage of the protection (sdcMicro's measures).",
    "protection": "What each protection did, in order.",
    "suppressed": "Every key cell blanked by local suppression: new respondent id and "
                  "column.",
    "utility_means": "Group means of every construct on the original and on the shared "
                     "data (diff = shared - original).",
    "utility_hypotheses": "Each hypothesis tested on the original and on the shared data.",
}


@dataclass(frozen=True)
class Utility:
    """What the protection cost, as two tables (see :mod:`analysis.disclosure`).

    Attributes
    ----------
    means : pandas.DataFrame
        :func:`analysis.disclosure.utility_means`.
    hypotheses : pandas.DataFrame
        :func:`analysis.disclosure.utility_hypotheses`.
    """

    means: pd.DataFrame
    hypotheses: pd.DataFrame


def derived_instrument(source_text: str, instrument: Instrument, protection: Protection) -> str:
    """The YAML of the instrument the shared data answer.

    Parameters
    ----------
    source_text : str
        The original instrument's YAML.
    instrument : Instrument
        The same instrument, loaded.
    protection : Protection
        Says which questions were banded and which had cells blanked.

    Returns
    -------
    str
        The original YAML (comments aside) with each banded question's choices replaced by
        its bands, and each identifying question that now has blank cells marked
        ``required: false``; it loads with :func:`survey.instrument.loads`.
    """
    import yaml

    data = yaml.safe_load(source_text)
    blanked = set(protection.suppressed["column"])
    for g in data.get("groups") or []:
        gid = g.get("id")
        if gid in protection.banded:
            bands = instrument.group(gid).bands
            g["choices"] = [{"code": b.code, "label": dict(b.label)} for b in bands]
        g.pop("bands", None)
        if gid in blanked:
            g["required"] = False
    head = (f"# {instrument.id} {instrument.version} as published in a shared data package "
            "(survey share).\n")
    if protection.banded:
        head += ("# Published in bands: " + ", ".join(protection.banded) + ". ")
    else:
        head += "# "
    head += "Identifying questions with blanked cells are optional here.\n"
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return head + body


def _labels(mapping: Any, langs: tuple[str, ...]) -> str:
    return " / ".join(str(mapping[x]) for x in langs)


def field_schema(name: str, instrument: Instrument, frame: pd.DataFrame) -> dict[str, Any]:
    """The Table Schema field of one column of the shared data.

    Parameters
    ----------
    name : str
        The column.
    instrument : Instrument
        The (derived) instrument the data answer.
    frame : pandas.DataFrame
        The data, for columns the instrument does not describe (kept metadata).

    Returns
    -------
    dict
        ``name``, ``type``, ``title``, ``description``, ``constraints`` and, for coded
        answers, ``categories`` (value labels); items also carry ``construct`` and
        ``keying`` (``forward`` or ``reverse``).
    """
    langs = instrument.languages
    if name == "respondent_id":
        return {"name": name, "type": "string", "title": "Respondent identifier",
                "description": "Assigned for this package; not the id of the original "
                               "data.",
                "constraints": {"required": True, "unique": True}}
    if name in instrument.group_ids:
        g = instrument.group(name)
        field: dict[str, Any] = {"name": name, "type": "string",
                                 "title": _labels(g.text, langs)}
        notes = []
        if g.type == "choice":
            field["constraints"] = {"enum": list(g.codes)}
            field["categories"] = [{"value": c.code, "label": _labels(c.label, langs)}
                                   for c in g.choices]
        else:
            notes.append("free text")
        if g.identifying:
            notes.append("identifying (a key variable of the disclosure-risk measures; "
                         "blank cells may be suppressed)")
        if notes:
            field["description"] = "; ".join(notes)
        return field
    if name in instrument.item_ids or name in instrument.check_ids:
        scale = instrument.scale_of(name)
        if name in instrument.item_ids:
            item = instrument.item(name)
            text = _labels(item.text, langs)
            keying = "reverse" if item.reverse else "forward"
            description = (f"{text} (construct {item.construct}; "
                           + (f"reverse-keyed: scored as {scale.min} + {scale.max} - x)"
                              if item.reverse else "scored as answered)"))
            extra: dict[str, Any] = {"construct": item.construct, "keying": keying}
        else:
            check = instrument.check(name)
            text = _labels(check.text, langs)
            description = (f"{text} (attention check: a careful respondent answers "
                           f"{check.expect})")
            extra = {}
        return {"name": name, "type": "integer", "title": name, "description": description,
                "constraints": {"minimum": scale.min, "maximum": scale.max},
                "categories": [{"value": p, "label": _labels(
                    {x: scale.label(p, x) for x in langs}, langs)} for p in scale.points],
                **extra}
    kind = frame[name].dtype.kind
    type_ = "integer" if kind in "iu" else "number" if kind == "f" else "string"
    return {"name": name, "type": type_, "title": name,
            "description": "platform metadata kept on request (not protected)"}


def _table_schema(frame: pd.DataFrame) -> dict[str, Any]:
    fields = []
    for name in frame.columns:
        kind = frame[name].dtype.kind
        type_ = ("boolean" if kind == "b" else "integer" if kind in "iu"
                 else "number" if kind == "f" else "string")
        fields.append({"name": str(name), "type": type_})
    return {"fields": fields, "missingValues": [""]}


def _numeric_where_possible(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Kept metadata columns that hold only numbers become numbers (so a negative
    latitude is written as a number, not as text a spreadsheet would neutralise)."""
    import pandas as pd

    out = frame.copy()
    for c in columns:
        if c in out and out[c].dtype == object:
            converted = pd.to_numeric(out[c], errors="coerce")
            if converted.notna().sum() == out[c].notna().sum():
                out[c] = converted
    return out


def write_package(
    protection: Protection,
    instrument: Instrument,
    source_text: str,
    utility: Utility,
    *,
    licence: str | None = None,
    simulated: bool = False,
) -> dict[str, bytes]:
    """The files of the shared data package.

    Parameters
    ----------
    protection : Protection
        The protected data and what was done (:func:`analysis.disclosure.protect`).
    instrument : Instrument
        The instrument the original responses answer.
    source_text : str
        Its YAML, from which the package's ``instrument.yaml`` is derived.
    utility : Utility
        The group means and hypothesis results before and after.
    licence : str, optional
        The licence the data are published under (an SPDX id such as ``CC-BY-4.0``);
        without it the README and descriptor say it is still to be chosen.
    simulated : bool
        The data are simulated: the package says so everywhere.

    Returns
    -------
    dict of str to bytes
        :data:`PACKAGE_FILES` -> content.
    """
    from survey.forms.codebook import write as codebook
    from survey.instrument import loads
    from survey.outputs import csv_bytes

    derived_text = derived_instrument(source_text, instrument, protection)
    derived = loads(derived_text, file="instrument.yaml")
    data = _numeric_where_possible(protection.data, protection.kept)
    tables = {
        "risk": protection.risk,
        "protection": protection.steps,
        "suppressed": protection.suppressed,
        "utility_means": utility.means,
        "utility_hypotheses": utility.hypotheses,
    }
    title = instrument.text(instrument.title, "en" if "en" in instrument.languages else None)
    description = (f"Responses to the {title} questionnaire ({instrument.id} "
                   f"{instrument.version}), de-identified for sharing: "
                   f"{protection.k}-anonymous on {', '.join(protection.keys) or 'no key'}.")
    if simulated:
        description = "SIMULATED DATA (no real lab or person answered). " + description
    descriptor: dict[str, Any] = {
        "name": f"{instrument.id.lower().replace('_', '-').replace('.', '-')}-shared",
        "title": title + (" (simulated)" if simulated else ""),
        "description": description,
    }
    if licence:
        descriptor["licenses"] = [{"name": licence}]
    descriptor["resources"] = [
        {"name": "data", "path": "data.csv", "profile": "tabular-data-resource",
         "title": "Responses, one row per respondent", "format": "csv",
         "mediatype": "text/csv", "encoding": "utf-8",
         "schema": {"fields": [field_schema(c, derived, data) for c in data.columns],
                    "missingValues": [""], "primaryKey": ["respondent_id"]}},
        # type "text": frictionless would otherwise read a .yaml as one of its own
        # metadata descriptors and fail to validate it
        {"name": "instrument", "path": "instrument.yaml", "type": "text", "format": "yaml",
         "mediatype": "application/yaml", "encoding": "utf-8",
         "description": "The instrument the data answer (read with survey report -i)."},
        {"name": "codebook", "path": "codebook.md", "format": "md",
         "mediatype": "text/markdown", "encoding": "utf-8"},
        *({"name": name.replace("_", "-"), "path": f"disclosure/{name}.csv",
           "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
           "encoding": "utf-8", "description": _DISCLOSURE[name],
           "schema": _table_schema(frame)} for name, frame in tables.items()),
    ]
    out = {
        "datapackage.json": (json.dumps(descriptor, ensure_ascii=False, indent=2)
                             + "\n").encode("utf-8"),
        "data.csv": csv_bytes(data),
        "instrument.yaml": derived_text.encode("utf-8"),
        "codebook.md": codebook(derived),
        "README.md": _readme(protection, instrument, utility, licence, simulated,
                             title).encode("utf-8"),
    }
    for name, frame in tables.items():
        out[f"disclosure/{name}.csv"] = csv_bytes(frame)
    return out


def _risk_line(row: Any) -> str:
    return (f"| {row['stage']} | {int(row['violating'])} of {int(row['n'])} | "
            f"{row['max_risk']:.3f} | {row['expected_reidentifications']:.1f} | "
            f"{row['global_risk']:.3f} |")


def _readme(protection: Protection, instrument: Instrument, utility: Utility,
            licence: str | None, simulated: bool, title: str) -> str:
    k = protection.k
    lines = [f"# {title}: shared data", ""]
    if simulated:
        lines += ["**Simulated data.** Every respondent id starts with SIM-: no real lab or "
                  "person answered these questions. Nothing here is evidence about real "
                  "labs.", ""]
    lines += [
        f"Responses to the questionnaire `{instrument.id}` version {instrument.version}, "
        f"one row per respondent ({len(protection.data)} respondents), de-identified for "
        "sharing with `survey share` (lab-culture-survey).", "",
        f"**Licence:** {licence or '_to be chosen by the data owner before publishing_'}",
        "",
        "## Files", "",
        "| file | what it holds |", "| --- | --- |",
        "| `data.csv` | the answers, one row per respondent, in the template layout |",
        "| `datapackage.json` | the Frictionless Data Package descriptor: types, value "
        "labels, missing values, keying |",
        "| `instrument.yaml` | the instrument the data answer |",
        "| `codebook.md` | every variable with its values and keying |",
        "| `disclosure/` | risk, protection steps, blanked cells, and what the protection "
        "cost |", "",
        "## Analyse", "",
        "```",
        "survey report data.csv -i instrument.yaml -o report",
        "```", "",
        "Blank cells are missing answers, or key cells blanked to protect respondents "
        "(listed in `disclosure/suppressed.csv`).", "",
        "## Disclosure risk", "",
        "Key (quasi-identifying) variables, answers someone who knows a respondent could "
        f"know: {', '.join(f'`{c}`' for c in protection.keys) or 'none'}. Measured as "
        "sdcMicro does: f_k is the number of respondents who share a respondent's key "
        "values (a blank matches any value); a respondent with f_k below "
        f"k = {k} violates {k}-anonymity; the individual risk is 1 / f_k.", "",
        "| stage | respondents violating k-anonymity | largest individual risk | "
        "expected re-identifications | global risk |",
        "| --- | --- | --- | --- | --- |",
        *(_risk_line(r) for r in protection.risk.to_dict("records")), "",
        "## Protections", "",
    ]
    for step in protection.steps.to_dict("records"):
        columns = ", ".join(f"`{c}`" for c in str(step["columns"]).split("|") if c)
        lines.append(f"- **{step['step']}** ({columns}): {step['description']}"
                     + (f" ({int(step['cells'])} cells)" if step["cells"] else "") + ".")
    lines += [f"- Local suppression blanked the keys in this order: "
              f"{', '.join(protection.order)}."]
    for note in protection.notes:
        lines.append(f"- Note: {note}.")
    lines += ["", "## What the protection cost", ""]
    means = utility.means.dropna(subset=["mean_original", "mean_shared"])
    if len(means):
        worst = means.loc[means["diff"].abs().idxmax()]
        lines.append(f"Group means of every construct by every grouping question: the "
                     f"largest change is {worst['diff']:+.3f} ({worst['by']} = "
                     f"{worst['group']}, {worst['construct']}); "
                     "`disclosure/utility_means.csv` has them all.")
    hyp = utility.hypotheses
    for test, name in (("welch", "respondent-level Welch test"),
                       ("mixed", "lab-aware mixed model")):
        part = hyp[hyp["test"] == test]
        if len(part):
            same = int(part["same_verdict"].sum())
            lines.append(f"- Hypotheses, {name}: {same} of {len(part)} keep their verdict.")
    changed = hyp[~hyp["same_verdict"].astype(bool)]
    for r in changed.to_dict("records"):
        lines.append(f"  - {r['hypothesis']} ({r['test']}): {r['verdict_original']} -> "
                     f"{r['verdict_shared']}")
    lines += ["", "`disclosure/utility_hypotheses.csv` gives the differences and adjusted "
              "p-values before and after."]
    return "\n".join(lines) + "\n"
