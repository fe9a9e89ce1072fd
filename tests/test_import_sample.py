"""The sample data in platform layouts and the deliberately broken files.

``sample_data/lab_culture_responses.kobo.*`` and ``sample_data/broken/*`` are made from
``sample_data/lab_culture_responses.xlsx`` by the functions below; regenerate them with
``python tests/test_import_sample.py`` (from the repository root). The tests check that
the shipped files are exactly what the functions make, that every platform layout imports
to the same data as the template file, and what each broken file does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data" / "lab_culture_responses.xlsx"
BROKEN = REPO / "sample_data" / "broken"

pytestmark = pytest.mark.skipif(not SAMPLE.is_file(), reason=f"no sample data: {SAMPLE}")


@cache
def _template():
    from survey.instrument import load
    from survey.responses import read_responses

    inst = load("lab-culture")
    return inst, read_responses(SAMPLE, inst)


@cache
def layouts() -> dict[str, bytes]:
    """Sample data in the Kobo layouts: file name -> bytes."""
    from survey.responses.layouts import kobo_layout

    inst, rs = _template()
    return {
        "lab_culture_responses.kobo.csv": kobo_layout(rs.data, inst, suffix=".csv"),
        "lab_culture_responses.kobo.xlsx": kobo_layout(rs.data, inst, lang="zh",
                                                       suffix=".xlsx"),
    }


@cache
def broken() -> dict[str, bytes]:
    """The broken files: file name -> bytes."""
    from openpyxl import Workbook

    from survey.outputs import workbook_bytes
    from survey.responses.writers import write_frame

    inst, rs = _template()
    head = rs.data.head(8).copy()
    plain = head.astype(object).where(head.notna(), None)
    cols = list(inst.columns)

    # 1. bad codes and duplicate ids (template layout, CSV)
    bad = plain.copy()
    bad.loc[1, "sp1"] = 7                       # out of range
    bad.loc[2, "sp2"] = "Somewhat agree"        # not a label of the scale
    bad.loc[2, "lab_region"] = "Mars"           # not a choice
    bad.loc[3, "respondent_id"] = plain.loc[1, "respondent_id"]   # duplicate id
    bad.loc[4, "respondent_id"] = None          # missing id
    bad.loc[5, :] = None                        # empty row
    bad.loc[6, "te1"] = "3.5"                   # not a point
    bad.loc[7, "attn1"] = 1                     # failed attention check
    out = {"bad_codes_and_duplicates.csv": write_frame(bad[cols], ".csv")}

    # 2. GBK-encoded CSV as Chinese Excel saves it, with Chinese labels for answers
    zh = plain.copy()
    for g in inst.groups:
        if g.type == "choice":
            zh[g.id] = [None if v is None else g.label(v, "zh") for v in zh[g.id]]
    for var in (*inst.item_ids, *inst.check_ids):
        scale = inst.scale_of(var)
        zh[var] = [None if v is None else scale.label(int(v), "zh") for v in zh[var]]
    text = write_frame(zh[cols], ".csv").decode("utf-8").replace("\n", "\r\n")
    out["gbk_encoded.csv"] = text.encode("gbk")

    # 3. item columns missing
    missing = plain.drop(columns=["sp3", "te2"])
    out["missing_item_columns.csv"] = write_frame(missing, ".csv")

    # 4. title rows above the header, in a workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append(["Working Culture in AI Labs: responses (SIMULATED)"])
    ws.append(["exported by hand from the lab's spreadsheet"])
    ws.append([])
    ws.append(cols)
    for rec in plain[cols].itertuples(index=False, name=None):
        ws.append(list(rec))
    out["title_rows_above_header.xlsx"] = workbook_bytes(wb)

    # 5. a layout no reader recognises (ids under another name)
    odd = plain.rename(columns={"respondent_id": "participant"})
    out["unknown_layout.csv"] = write_frame(odd[["participant", *cols[1:]]], ".csv")
    return out


@pytest.mark.parametrize("name", ["lab_culture_responses.kobo.csv",
                                  "lab_culture_responses.kobo.xlsx"])
def test_kobo_layouts_are_regenerated_and_import_identically(name):
    from survey.instrument import load
    from survey.responses import read_responses

    path = REPO / "sample_data" / name
    assert path.read_bytes() == layouts()[name], "regenerate: python tests/test_import_sample.py"
    inst, rs = _template()
    back = read_responses(path, inst)
    assert back.log.platform == "kobo"
    assert back.data.equals(rs.data)
    assert back.simulated
    assert back.log.rows_read == rs.log.rows_read == 585
    assert [r.reason for r in back.log.records] == [r.reason for r in rs.log.records]
    assert load("lab-culture").id == inst.id


@pytest.mark.parametrize("name", sorted(broken()) if SAMPLE.is_file() else [])
def test_broken_files_are_regenerated(name):
    assert (BROKEN / name).read_bytes() == broken()[name], \
        "regenerate: python tests/test_import_sample.py"


def test_broken_bad_codes_and_duplicates():
    from survey.instrument import load
    from survey.responses import read_responses

    rs = read_responses(BROKEN / "bad_codes_and_duplicates.csv", load("lab-culture"))
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [3, "sp1", "out_of_range", "blanked"],
        [4, "lab_region", "unknown_choice", "blanked"],
        [4, "lab_region", "missing_group_answer", "flagged"],
        [4, "sp2", "unknown_label", "blanked"],
        [5, "respondent_id", "duplicate_id", "rejected"],
        [6, "respondent_id", "missing_id", "rejected"],
        [7, None, "empty_row", "rejected"],
        [8, "te1", "out_of_range", "blanked"],
        [9, "attn1", "failed_attention_check", "flagged"],
    ]
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (8, 5, 3)


def test_broken_gbk_file_imports():
    from survey.instrument import load
    from survey.responses import read_responses

    inst, rs = _template()
    back = read_responses(BROKEN / "gbk_encoded.csv", load("lab-culture"))
    assert "encoding: gb18030" in back.log.notes
    assert back.data.equals(rs.data.head(8))


def test_broken_missing_columns():
    from survey.errors import ResponseFileError
    from survey.instrument import load
    from survey.responses import read_responses

    with pytest.raises(ResponseFileError, match="2 columns of instrument 'lab-culture' "
                                                "missing: sp3, te2"):
        read_responses(BROKEN / "missing_item_columns.csv", load("lab-culture"))


def test_broken_title_rows():
    from survey.instrument import load
    from survey.responses import read_responses

    inst, rs = _template()
    back = read_responses(BROKEN / "title_rows_above_header.xlsx", load("lab-culture"))
    assert "header row: 4 (rows above it skipped)" in back.log.notes
    assert back.meta["source_row"].tolist()[:2] == [5, 6]
    assert back.data.equals(rs.data.head(8))


def test_broken_unknown_layout():
    from survey.errors import ResponseFileError
    from survey.instrument import load
    from survey.responses import read_responses

    with pytest.raises(ResponseFileError, match="cannot tell which platform wrote this file"):
        read_responses(BROKEN / "unknown_layout.csv", load("lab-culture"))
    mapped = read_responses(BROKEN / "unknown_layout.csv", load("lab-culture"),
                            mapping={"rename": {"participant": "respondent_id"}})
    assert mapped.n == 8


if __name__ == "__main__":
    BROKEN.mkdir(parents=True, exist_ok=True)
    for name, data in layouts().items():
        (REPO / "sample_data" / name).write_bytes(data)
        print("wrote", REPO / "sample_data" / name)
    for name, data in broken().items():
        (BROKEN / name).write_bytes(data)
        print("wrote", BROKEN / name)
