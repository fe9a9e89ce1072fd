"""Template-layout responses in the Qualtrics, LimeSurvey and REDCap export layouts.

The writers live in :mod:`survey.responses.layouts` (``survey simulate --layout`` uses
them too). Used by the round-trip tests (tests/test_import_qualtrics.py, ..._limesurvey.py,
..._redcap.py) and, run as a script from the repository root, to write the sample files:

    python tests/platform_layouts.py

which reads sample_data/lab_culture_responses.xlsx (simulated) and writes
sample_data/lab_culture_responses.qualtrics.csv, .limesurvey.csv, .redcap.csv and .wjx.csv. Each
layout is what the platform exports for the form ``survey export -f <platform>`` makes:
the column names, header rows, codes and metadata columns the platform adds. The platform's
own record id (Qualtrics ``ResponseId``, LimeSurvey ``id``, REDCap ``record_id``,
Wenjuanxing ``序号``) carries
the simulated respondent id (``SIM-00001``). Times are made up from the row number
(no clock is read), so the files are the same bytes on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from survey.instrument import Instrument
from survey.responses.layouts import (  # noqa: F401 - re-exported for the reader tests
    QUALTRICS_META,
    limesurvey_layout,
    qualtrics_layout,
    redcap_layout,
    wjx_layout,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "lab_culture_responses.xlsx"


def load_sample() -> tuple[Instrument, pd.DataFrame]:
    """The flagship instrument and the shipped simulated sample, read as the template."""
    from survey.instrument import load
    from survey.responses import read_responses

    inst = load("lab-culture")
    return inst, read_responses(SAMPLE, inst, platform="template").data


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
    "wjx": wjx_layout,
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
