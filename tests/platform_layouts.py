"""Write template-layout responses in the Qualtrics, LimeSurvey and REDCap export layouts.

Used by the round-trip tests (tests/test_import_qualtrics.py, ..._limesurvey.py,
..._redcap.py) and, run as a script from the repository root, to write the sample files:

    python tests/platform_layouts.py

which reads sample_data/lab_culture_responses.xlsx (simulated) and writes
sample_data/lab_culture_responses.qualtrics.csv, .limesurvey.csv and .redcap.csv. Each
layout is what the platform exports for the form ``survey export -f <platform>`` makes:
the column names, header rows, codes and metadata columns the platform adds. The platform's
own record id (Qualtrics ``ResponseId``, LimeSurvey ``id``, REDCap ``record_id``) carries
the simulated respondent id (``SIM-00001``). Times are made up from the row number
(no clock is read), so the files are the same bytes on every run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path

import pandas as pd

from survey.forms.limesurvey import answer_codes, question_codes
from survey.forms.qualtrics import choice_codes as qualtrics_choice_codes
from survey.forms.qualtrics import item_columns
from survey.forms.redcap import choice_codes as redcap_choice_codes
from survey.forms.xlsform import check_slots, matrix_prompt
from survey.instrument import Instrument
from survey.outputs import neutralise

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "lab_culture_responses.xlsx"
_BASE = dt.datetime(2025, 3, 3, 9, 0, 0)

QUALTRICS_META = (
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)


def load_sample() -> tuple[Instrument, pd.DataFrame]:
    """The flagship instrument and the shipped simulated sample, read as the template."""
    from survey.instrument import load
    from survey.responses import read_responses

    inst = load("lab-culture")
    return inst, read_responses(SAMPLE, inst, platform="template").data


def _cell(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(neutralise(str(v)))


def _csv(rows: list[list[str]], bom: bool = False, quote_all: bool = False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerows(rows)
    return ("\ufeff" if bom else "").encode("utf-8") + buf.getvalue().encode("utf-8")


def _times(i: int) -> tuple[dt.datetime, dt.datetime, int]:
    """Start, end and seconds of the i-th response (made up from i)."""
    start = _BASE + dt.timedelta(minutes=7 * i)
    seconds = 240 + (i * 97) % 600
    return start, start + dt.timedelta(seconds=seconds), seconds


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _flow(instrument: Instrument) -> list[tuple[str, object]]:
    """The questions in the order the forms put them: groups, constructs with checks."""
    slots = check_slots(instrument)
    out: list[tuple[str, object]] = [("group", g) for g in instrument.groups]
    for c in instrument.constructs:
        out.append(("construct", c))
        out.extend(("check", chk) for chk in slots.get(c.id, ()))
    return out


def _group_value(instrument: Instrument, gid: str, v: object, codes: dict | None,
                 labels: bool, lang: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    g = instrument.group(gid)
    if g.type != "choice":
        return _cell(v)
    if labels:
        return g.label(str(v), lang)
    back = {code: key for key, code in codes[gid].items()}
    return back[str(v)]


def _answer(instrument: Instrument, var: str, v: object, labels: bool, lang: str) -> str:
    if v is None or v is pd.NA:
        return ""
    if labels:
        return instrument.scale_of(var).label(int(v), lang)
    return str(int(v))


# ---- Qualtrics -------------------------------------------------------------------------------

def qualtrics_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                     lang: str = "en") -> bytes:
    """A Qualtrics CSV export: three header rows, numeric values (or choice text)."""
    names = [m[0] for m in QUALTRICS_META]
    texts = [m[1] for m in QUALTRICS_META]
    ids = [m[2] for m in QUALTRICS_META]
    cols: list[tuple[str, str]] = []  # (kind, variable)
    tag_of = {v: k for k, v in item_columns(instrument).items()}
    qid = 0
    for kind, thing in _flow(instrument):
        qid += 1
        if kind == "construct":
            prompt = matrix_prompt(thing, lang)
            for n, item in enumerate(thing.items, 1):
                names.append(tag_of[item.id])
                texts.append(f"{prompt} - {item.text[lang]}")
                ids.append(f"QID{qid}_{n}")
                cols.append(("item", item.id))
        else:
            names.append(thing.id)
            texts.append(thing.text[lang])
            text_entry = kind == "group" and thing.type == "text"
            ids.append(f"QID{qid}_TEXT" if text_entry else f"QID{qid}")
            cols.append((kind, thing.id))
    rows = [names, texts, [json.dumps({"ImportId": i}, separators=(",", ":")) for i in ids]]
    codes = qualtrics_choice_codes(instrument)
    for i, rec in enumerate(data.to_dict("records")):
        start, end, seconds = _times(i)
        row = [_fmt(start), _fmt(end), "0", "", "100", str(seconds), "1", _fmt(end),
               _cell(rec["respondent_id"]), "", "", "", "", "", "", "anonymous",
               lang.upper()]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, labels, lang))
            else:
                row.append(_answer(instrument, var, rec[var], labels, lang))
        rows.append(row)
    return _csv(rows, bom=True)


# ---- LimeSurvey ------------------------------------------------------------------------------

def limesurvey_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                      lang: str = "en") -> bytes:
    """A LimeSurvey CSV export with "Question code" headings and answer codes (or full
    answers), timings on."""
    code_of = {v: k for k, v in question_codes(instrument).items()
               if v in set(instrument.columns) or v in {c.id for c in instrument.constructs}}
    sub_of = {v: k for k, v in question_codes(instrument).items()
              if v in set(instrument.item_ids)}
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
              "datestamp"]
    cols: list[tuple[str, str]] = []
    for kind, thing in _flow(instrument):
        if kind == "construct":
            for item in thing.items:
                header.append(f"{code_of[thing.id]}[{sub_of[item.id]}]")
                cols.append(("item", item.id))
        else:
            header.append(code_of[thing.id])
            cols.append((kind, thing.id))
    header.append("interviewtime")
    codes = answer_codes(instrument)
    pages = 1 + len(instrument.constructs)
    rows = [header]
    for i, rec in enumerate(data.to_dict("records")):
        start, end, seconds = _times(i)
        row = [_cell(rec["respondent_id"]), _fmt(end), str(pages), lang,
               str(1000003 + 7919 * i), _fmt(start), _fmt(end)]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, labels, lang))
            else:
                row.append(_answer(instrument, var, rec[var], labels, lang))
        row.append(f"{seconds}.0")
        rows.append(row)
    return _csv(rows, bom=True, quote_all=True)


# ---- REDCap ----------------------------------------------------------------------------------

def redcap_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                  lang: str = "en") -> bytes:
    """A REDCap record export of a survey: raw data (or labels) of the one form."""
    form = instrument.id.lower().replace("-", "_").replace(".", "_")
    if labels:
        header = ["Record ID", "Survey Identifier", "Survey Timestamp"]
    else:
        header = ["record_id", "redcap_survey_identifier", f"{form}_timestamp"]
    cols: list[tuple[str, str]] = []
    for kind, thing in _flow(instrument):
        if kind == "construct":
            for item in thing.items:
                header.append(" ".join(item.text[lang].split()) if labels else item.id.lower())
                cols.append(("item", item.id))
        else:
            header.append(" ".join(thing.text[lang].split()) if labels else thing.id.lower())
            cols.append((kind, thing.id))
    header.append("Complete?" if labels else f"{form}_complete")
    codes = redcap_choice_codes(instrument)
    rows = [header]
    for i, rec in enumerate(data.to_dict("records")):
        _, end, _ = _times(i)
        row = [_cell(rec["respondent_id"]), "", _fmt(end)]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, labels, lang))
            else:
                row.append(_answer(instrument, var, rec[var], labels, lang))
        row.append("Complete" if labels else "2")
        rows.append(row)
    return _csv(rows)


#: Platform files in tests/fixtures/platforms (see SOURCES.md there) and the reader each
#: belongs to: real exports under MIT/BSD licences, KoboToolbox's own exporter output, and
#: files written by hand in the layout of a real export whose licence forbids copying it.
FIXTURE_PLATFORMS = {
    "qualtrics/qualtRics_sample.csv": "qualtrics",
    "qualtrics/qualtRics_sample_legacy.csv": "qualtrics",
    "qualtrics/QualtricsTools_Better_Sample_Survey.csv": "qualtrics",
    "limesurvey/handmade_R_data_file.csv": "limesurvey",
    "redcap/REDCapR_survey_data.csv": "redcap",
    "redcap/handmade_longitudinal_data.csv": "redcap",
    "kobo/formpack_xml_values.csv": "kobo",
    "kobo/formpack_xml_values.xlsx": "kobo",
    "kobo/formpack_labels_en.csv": "kobo",
    "kobo/formpack_labels_zh.xlsx": "kobo",
    "kobo/handmade_kobocat_legacy.csv": "kobo",
    "kobo/handmade_kobocat_quoted.csv": "kobo",
    "kobo/handmade_kobocat_export.xlsx": "kobo",
}
#: Real exports under GPL/AGPL, checked only when LCS_EXTRA_FIXTURES points at them.
EXTRA_FIXTURE_PLATFORMS = {
    "limesurvey/limonaid_survey_998192_R_data_file.csv": "limesurvey",
    "limesurvey/limonaid_survey_100001_R_data_file.csv": "limesurvey",
    "redcap/redcapAPI_data.csv": "redcap",
    "kobo/kobocat_good.csv": "kobo",
    "kobo/kobocat_transportation.csv": "kobo",
    "kobo/kobocat_transportation_export.xlsx": "kobo",
}
#: Both, for checks that run on every file (the extra ones skip when absent).
ALL_FIXTURE_PLATFORMS = {**FIXTURE_PLATFORMS, **EXTRA_FIXTURE_PLATFORMS}
PLATFORM_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "platforms"


def fixture_path(relative: str) -> Path:
    """A platform file of tests/fixtures, or an optional extra one (skips without it)."""
    if relative in EXTRA_FIXTURE_PLATFORMS:
        from tests.conftest import extra_fixture

        return extra_fixture(relative)
    return PLATFORM_FIXTURES / relative


def fixture_header(relative: str) -> list[str]:
    """Row 1 of a platform file, decoded as every import decodes it."""
    from survey.responses.tables import read_table

    path = fixture_path(relative)
    return read_table(path.read_bytes(), str(path)).header


LAYOUTS = {
    "qualtrics": qualtrics_layout,
    "limesurvey": limesurvey_layout,
    "redcap": redcap_layout,
}


def sample_path(platform: str) -> Path:
    """Where the sample in a platform's layout is shipped."""
    return ROOT / "sample_data" / f"lab_culture_responses.{platform}.csv"


def main(argv: list[str]) -> int:
    """Write the sample in every layout (or the platforms named on the command line)."""
    inst, data = load_sample()
    for platform in argv or list(LAYOUTS):
        sample_path(platform).write_bytes(LAYOUTS[platform](data, inst))
        print(sample_path(platform).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
