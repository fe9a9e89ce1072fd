"""A seeded mutation test of the importer, over every layout it reads.

For each layout (:data:`LAYOUTS`) a small set of respondents is written as that platform
exports it, then damaged by one mutation at a time (:data:`TEXT_MUTATIONS`,
:data:`WORKBOOK_MUTATIONS`): truncation, other encodings, stray bytes, quotes, extra and
missing cells, line breaks inside cells, repeated and blank rows, odd cell values, and for
workbooks corrupt XML, damaged zip members, hidden sheets, formulas without results and
stray cells far below (:data:`XLS_MUTATIONS`: an old ``.xls`` cut short or with a byte
altered). Whatever the mutation, the import must either

* succeed (exit 0) with rows read = accepted + rejected, no respondent the file never
  held, no respondent twice, every respondent the mutation did not touch in the clean
  data with every answer unchanged, every other respondent in the clean data or the
  rejected rows, and the clean data reading back identically from its CSV; or
* refuse the file (exit 2) in one line, no traceback.

Adding a layout is one entry in :data:`LAYOUTS`: a function from (data, instrument) to
the file's bytes, and its file suffix.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from platform_layouts import limesurvey_layout, qualtrics_layout, redcap_layout

from survey.cli import cli
from survey.errors import ResponseFileError
from survey.instrument import loads
from survey.responses import read_responses
from survey.responses.layouts import kobo_layout, wjx_layout
from survey.responses.writers import write_frame, write_responses
from tests.conftest import TINY_YAML

#: Cases per layout; the seeds are fixed, so a failure names a case that fails every run.
CASES_PER_LAYOUT = 36
INSTRUMENT = loads(TINY_YAML, file="tiny.yaml")
#: Lab names that exercise quoting: commas, quotes, semicolons, CJK, parentheses.
LABS = ["CN-01", "US-02 \"north\"", "CN-03, group 2", "US-04; annex", "实验室 CN-05",
        "US-06 (west)", "OT 07"]


def _respondents(rng: random.Random, n: int = 7) -> pd.DataFrame:
    """Template-layout answers: ids M01..., groups, items 1-5 or blank, the check."""
    rows = []
    for k in range(n):
        rows.append({
            "respondent_id": f"M{k + 1:02d}",
            "lab_region": rng.choice(["china", "united_states"]),
            "lab": LABS[k % len(LABS)],
            "a1": rng.choice([1, 2, 3, 4, 5, None]),
            "a2": rng.choice([1, 2, 3, 4, 5]),
            "attn1": 4,
        })
    frame = pd.DataFrame(rows)
    frame["lab_region"] = pd.Categorical(frame["lab_region"],
                                         categories=["china", "united_states"])
    for c in ("a1", "a2", "attn1"):
        frame[c] = frame[c].astype("Int64")
    return frame


def _template_csv(data: pd.DataFrame, inst) -> bytes:
    return write_frame(data, ".csv", verbatim=True)


def _template_xlsx(data: pd.DataFrame, inst) -> bytes:
    return write_frame(data, ".xlsx")


def _template_xls(data: pd.DataFrame, inst) -> bytes:
    """The template layout as an old Excel 97-2003 workbook (xlwt, a test dependency)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("responses")
    for j, name in enumerate(data.columns):
        ws.write(0, j, str(name))
    for i, rec in enumerate(data.itertuples(index=False, name=None), start=1):
        for j, v in enumerate(rec):
            if v is not None and v is not pd.NA and v == v:
                ws.write(i, j, v if isinstance(v, str) else int(v))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Layout:
    """How a platform's export is written for the test."""

    write: Callable[[pd.DataFrame, object], bytes]
    suffix: str


#: Every layout the import reads; a new one joins with one line here.
LAYOUTS: dict[str, Layout] = {
    "template_csv": Layout(_template_csv, ".csv"),
    "template_xlsx": Layout(_template_xlsx, ".xlsx"),
    "template_xls": Layout(_template_xls, ".xls"),
    "kobo_csv": Layout(lambda d, i: kobo_layout(d, i, suffix=".csv"), ".csv"),
    "kobo_xlsx": Layout(lambda d, i: kobo_layout(d, i, suffix=".xlsx"), ".xlsx"),
    "kobo_labels_csv": Layout(lambda d, i: kobo_layout(d, i, lang="zh"), ".csv"),
    "qualtrics": Layout(qualtrics_layout, ".csv"),
    "limesurvey": Layout(limesurvey_layout, ".csv"),
    "redcap": Layout(redcap_layout, ".csv"),
    "wjx_csv": Layout(lambda d, i: wjx_layout(d, i), ".csv"),
    "wjx_text_gbk": Layout(lambda d, i: wjx_layout(d, i, answers="text", lang="zh",
                                                   encoding="gbk"), ".csv"),
    "wjx_xlsx": Layout(lambda d, i: wjx_layout(d, i, suffix=".xlsx"), ".xlsx"),
}


# ---- mutations ------------------------------------------------------------------------------

@dataclass
class Mutated:
    """A damaged file and which respondents the damage may have touched."""

    data: bytes
    name: str
    touched: set[str]          # ids whose rows the mutation changed
    lost: set[str]             # ids the mutation removed from the file altogether


def _ids_in(data: bytes, ids: list[str]) -> list[tuple[int, str]]:
    """(byte offset, id) of every respondent id in the bytes, in file order."""
    found = []
    for rid in ids:
        for m in re.finditer(re.escape(rid.encode()), data):
            found.append((m.start(), rid))
    return sorted(found)


def _owner(data: bytes, offset: int, ids: list[str]) -> str | None:
    """The respondent whose line holds byte ``offset`` (the last id starting before it)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    line_end = len(data) if line_end < 0 else line_end
    on_line = [rid for pos, rid in _ids_in(data, ids) if line_start <= pos < line_end]
    if on_line:
        return on_line[0]
    before = [rid for pos, rid in _ids_in(data, ids) if pos < offset]
    return before[-1] if before else None


def _after(data: bytes, offset: int, ids: list[str]) -> set[str]:
    """Ids of the respondents whose rows start at or after the line holding ``offset``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    out = {rid for pos, rid in _ids_in(data, ids) if pos >= line_start}
    owner = _owner(data, offset, ids)
    return out | ({owner} if owner else set())


def _body_offset(rng: random.Random, data: bytes, ids: list[str]) -> int:
    """A random byte offset inside the respondents' rows (not the header rows)."""
    first = _ids_in(data, ids)
    start = first[0][0] if first else 0
    return rng.randrange(start, len(data))


def _cell_offsets(data: bytes) -> list[int]:
    return [m.start() for m in re.finditer(rb"[,;\t]", data)]


def m_truncate(rng, data, ids):
    cut = _body_offset(rng, data, ids)
    owner = _owner(data, cut, ids)
    whole = {rid for pos, rid in _ids_in(data, ids) if pos + len(rid) <= cut}
    lost = _after(data, cut, ids) - whole
    return data[:cut], ({owner} & whole) - {None}, lost


def m_reencode(rng, data, ids):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # a GBK layout
        text = data.decode("gb18030")
    enc = rng.choice(["utf-16", "utf-8-sig", "gb18030", "utf-16-be-bom"])
    if enc == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be"), set(), set()
    return text.encode(enc), set(), set()


def m_stray_byte(rng, data, ids):
    at = _body_offset(rng, data, ids)
    return data[:at] + bytes([rng.choice([0x80, 0x9d, 0xa0, 0xe9, 0xff])]) + data[at:], \
        {_owner(data, at, ids)} - {None}, set()


def m_quote(rng, data, ids):
    at = _body_offset(rng, data, ids)
    if rng.random() < 0.5 and b'"' in data[at:]:
        at = data.index(b'"', at)
        return data[:at] + data[at + 1:], _after(data, at, ids), set()
    return data[:at] + b'"' + data[at:], _after(data, at, ids), set()


def m_extra_cell(rng, data, ids):
    cells = [c for c in _cell_offsets(data) if c >= _body_offset(rng, data, ids)] or [len(data)]
    at = cells[0]
    delim = data[at:at + 1] if at < len(data) else b","
    return data[:at] + delim + b"x" + data[at:], {_owner(data, at, ids)} - {None}, set()


def m_missing_cell(rng, data, ids):
    cells = [c for c in _cell_offsets(data) if c >= _body_offset(rng, data, ids)]
    if not cells:
        return data, set(), set()
    at = cells[0]
    return data[:at] + data[at + 1:], {_owner(data, at, ids)} - {None}, set()


def m_line_break_in_cell(rng, data, ids):
    at = _body_offset(rng, data, ids)
    brk = rng.choice([b"\r", b"\n", b"\r\n"])
    return data[:at] + brk + data[at:], _after(data, at, ids), set()


def m_repeat_line(rng, data, ids):
    lines = data.splitlines(keepends=True)
    if len(lines) < 3:
        return data, set(), set()
    k = rng.randrange(len(lines))
    dup = lines[k] if lines[k].endswith((b"\n", b"\r")) else lines[k] + b"\n"
    lines.insert(rng.randrange(1, len(lines) + 1), dup)
    touched = {rid for _, rid in _ids_in(dup, ids)}
    return b"".join(lines), touched, set()


def m_blank_lines(rng, data, ids):
    lines = data.splitlines(keepends=True)
    at = rng.randrange(1, len(lines) + 1)
    end = b"\r\n" if data.endswith(b"\r\n") else b"\n"
    lines.insert(at, end * rng.randint(1, 3))
    return b"".join(lines), set(), set()


def m_odd_value(rng, data, ids):
    cells = [c for c in _cell_offsets(data) if c >= _body_offset(rng, data, ids)]
    if not cells:
        return data, set(), set()
    at = cells[0] + 1
    odd = rng.choice([b"=1+1", b"99999999999999999999", b"NaN", b" ", b"\xef\xbc\x94",
                      b"4.0", b"-0", b"\xd9\xa4", b"@x", b"1e308"])
    return data[:at] + odd + data[at:], {_owner(data, at, ids)} - {None}, set()


def m_line_ends(rng, data, ids):
    if b"\r\n" in data:
        return data.replace(b"\r\n", b"\n"), set(), set()
    return data.replace(b"\n", b"\r\n"), set(), set()


def m_garbage_tail(rng, data, ids):
    junk = bytes(rng.randrange(1, 256) for _ in range(rng.randint(1, 200)))
    return data + junk, set(), set()


TEXT_MUTATIONS = [m_truncate, m_reencode, m_stray_byte, m_quote, m_extra_cell,
                  m_missing_cell, m_line_break_in_cell, m_repeat_line, m_blank_lines,
                  m_odd_value, m_line_ends, m_garbage_tail]


def _zip_edit(data: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = edit(info.filename, src.read(info.filename))
            if new is not None:
                dst.writestr(info, new)
    return out.getvalue()


def _sheet1(name: str) -> bool:
    return name == "xl/worksheets/sheet1.xml"


def w_truncate(rng, data, ids):
    return data[: rng.randrange(len(data) // 3, len(data))], set(ids), set()


def w_flip_byte(rng, data, ids):
    at = rng.randrange(len(data))
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:], set(ids), set()


def w_cut_sheet_xml(rng, data, ids):
    return _zip_edit(data, lambda n, b: b[: rng.randrange(len(b))] if _sheet1(n) else b), \
        set(ids), set()


def w_bad_cell(rng, data, ids):
    kind = rng.choice([b'<c r="E3" t="b"><v>2</v></c>', b'<c r="E3"><v>abc</v></c>',
                       b'<c r="E3" t="s"><v>9999</v></c>', b'<c r="E3" t="e"><v>#N/A</v></c>',
                       b'<c r="E3"><f>A1+1</f></c>', b'<c r="E3" t="n"><v></v></c>'])

    def edit(name, b):
        if not _sheet1(name):
            return b
        return re.sub(rb'<c r="E3"[^>]*?(?:/>|>.*?</c>)', lambda m: kind, b, count=1,
                      flags=re.S)

    return _zip_edit(data, edit), {"M02"}, set()


def w_drop_member(rng, data, ids):
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    gone = rng.choice(names)
    return _zip_edit(data, lambda n, b: None if n == gone else b), set(ids), set()


def w_hidden_sheet_in_front(rng, data, ids):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("old", 0)
    src = wb.worksheets[1]
    for row in src.iter_rows(values_only=True):
        ws.append(["OLD" + str(v) if isinstance(v, str) and v.startswith("M") else v
                   for v in row])
    ws.sheet_state = "hidden"
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), set(), set()


def w_stray_cell_below(rng, data, ids):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws.cell(ws.max_row + rng.randint(150, 3000), 1).value = "stray"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), {"stray"}, set()


WORKBOOK_MUTATIONS = [w_truncate, w_flip_byte, w_cut_sheet_xml, w_bad_cell, w_drop_member,
                      w_hidden_sheet_in_front, w_stray_cell_below]
#: An old .xls (OLE2/BIFF) has no zip members to damage; it is cut short or altered.
XLS_MUTATIONS = [w_truncate, w_flip_byte]


def mutations_for(suffix: str) -> list[Callable]:
    """The mutations of a file of this type."""
    return {".xlsx": WORKBOOK_MUTATIONS, ".xls": XLS_MUTATIONS}.get(suffix, TEXT_MUTATIONS)


# ---- the oracle -------------------------------------------------------------------------------

def _plain(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v


def _derived(rid: str, text: str) -> bool:
    """True when ``text`` is ``rid`` with a few characters inserted (a mutated id cell)."""
    if rid in text:
        return True
    it = iter(text)
    return len(text) - len(rid) <= 12 and all(ch in it for ch in rid)


def _check(case: str, path: Path, original: pd.DataFrame, m: Mutated, tmp: Path) -> str:
    """Import the damaged file and check the invariants; return the outcome."""
    try:
        rs = read_responses(path, INSTRUMENT)
    except ResponseFileError as exc:
        text = str(exc)
        assert "\n" not in text and "\r" not in text, (case, text)
        assert len(text) < 1500, (case, len(text))
        assert text.startswith(f"{path}: "), (case, "the refusal does not name the file", text)
        return "refused"
    log = rs.log
    assert log.rows_read == log.rows_accepted + log.rows_rejected, case
    assert log.rows_accepted == rs.n, case
    ids = rs.data["respondent_id"].tolist()
    known = set(original["respondent_id"])
    assert len(ids) == len(set(ids)), (case, "a respondent twice", ids)
    # an id the file never held may only be a touched respondent's id, changed by the
    # mutation itself (a quote inside "M06"); a row split in two must not make one
    phantom = set(ids) - known
    for p in phantom - m.touched:  # (a mutation may add a respondent: a stray cell)
        assert any(_derived(rid, p) for rid in m.touched if rid not in ids), (
            case, "a respondent the file never held", p)
    rejected_ids: set[str] = set()
    if log.rejected_rows is not None and len(log.rejected_rows):
        for col in log.rejected_rows.columns:
            rejected_ids |= {str(v).strip() for v in log.rejected_rows[col] if isinstance(v, str)}
    by_id = rs.data.set_index("respondent_id")
    for rec in original.to_dict("records"):
        rid = rec["respondent_id"]
        if rid in m.lost:
            continue
        if rid not in m.touched:
            assert rid in by_id.index, (case, "an untouched respondent was lost", rid)
        elif rid not in by_id.index:
            assert any(_derived(rid, v) for v in rejected_ids | phantom), (
                case, "a respondent vanished", rid)
            continue
        got = by_id.loc[rid]
        for var in ("lab_region", "a1", "a2", "attn1"):
            want, have = _plain(rec[var]), _plain(got[var])
            if rid in m.touched:
                assert have in (want, None), (case, rid, var, want, have)
            else:
                assert have == want, (case, rid, var, want, have)
        if rid not in m.touched:
            assert _plain(got["lab"]) == rec["lab"].strip(), (case, rid, got["lab"])
    # the clean data read back from its CSV is the same data
    back_path = tmp / f"{case}.clean.csv"
    back_path.write_bytes(write_responses(rs, ".csv", verbatim=True))
    if rs.n:
        back = read_responses(back_path, INSTRUMENT)
        pd.testing.assert_frame_equal(back.data, rs.data, check_dtype=False,
                                      check_categorical=False, obj=case)
    return "imported"


def _cases() -> list[tuple[str, int]]:
    return [(layout, seed) for layout in LAYOUTS for seed in range(CASES_PER_LAYOUT)]


@pytest.mark.slow
def test_mutated_files_import_exactly_or_are_refused_in_one_line(tmp_path):
    outcomes: dict[str, int] = {}
    for layout, seed in _cases():
        rng = random.Random(f"{layout}/{seed}")
        spec = LAYOUTS[layout]
        original = _respondents(rng)
        clean = spec.write(original, INSTRUMENT)
        ids = original["respondent_id"].tolist()
        pool = mutations_for(spec.suffix)
        mutate = pool[seed % len(pool)]
        data, touched, lost = mutate(rng, clean, ids)
        case = f"{layout}-{seed}-{mutate.__name__}"
        path = tmp_path / f"{case}{spec.suffix}"
        path.write_bytes(data)
        m = Mutated(data, case, set(touched), set(lost))
        outcome = _check(case, path, original, m, tmp_path)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert path.read_bytes() == data, (case, "the source file was changed")
    assert sum(outcomes.values()) == len(LAYOUTS) * CASES_PER_LAYOUT
    assert outcomes.get("imported", 0) > outcomes.get("refused", 0)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_imports_unchanged_before_any_mutation(tmp_path, layout):
    rng = random.Random(layout)
    original = _respondents(rng)
    path = tmp_path / f"clean{LAYOUTS[layout].suffix}"
    path.write_bytes(LAYOUTS[layout].write(original, INSTRUMENT))
    m = Mutated(path.read_bytes(), layout, set(), set())
    assert _check(layout, path, original, m, tmp_path) == "imported"
    rs = read_responses(path, INSTRUMENT)
    assert rs.log.rows_rejected == 0 and rs.n == len(original)


def test_a_refusal_through_the_command_is_one_line_with_exit_2(tmp_path):
    """The command turns a refusal into one line and exit code 2 (sampled, not per case)."""
    rng = random.Random("cli")
    original = _respondents(rng)
    data = LAYOUTS["template_csv"].write(original, INSTRUMENT)
    path = tmp_path / "r.csv"
    path.write_bytes(data.replace(b"M07,", b'M07,"', 1))  # a quote never closed
    inst = tmp_path / "tiny.yaml"
    inst.write_text(TINY_YAML, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), "-i", str(inst)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
