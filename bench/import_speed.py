"""How long ``read_responses`` takes on a large workbook, next to a bare pandas read.

Builds a 100,000-respondent x 60-item workbook in the template layout (with a small
generated instrument: 10 constructs of 6 items, a region and a lab code), then prints the
best of three timings of

* ``pandas.read_excel(path, engine="calamine")``: just reading the sheet, and
* ``survey.responses.read_responses(path, instrument)``: reading, finding the header,
  mapping codes, every validation check and the import log.

Goal: the whole import within 1.2 times the bare read. Run from the repository root::

    python bench/import_speed.py [--rows 100000] [--items 60] [--repeat 3]

Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape


def make_instrument(n_items: int):
    """A generated instrument: constructs of 6 items on a 1-5 scale, region, lab."""
    from survey.instrument import loads

    lines = [
        "id: bench", 'version: "1"', "languages: [en]", "title: {en: Bench}",
        "scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [SD, D, N, A, SA]}}}",
        "groups:",
        "  - {id: lab_region, type: choice, required: true, text: {en: Region},",
        "     choices: [{code: china, label: {en: China}},",
        "               {code: united_states, label: {en: United States}},",
        "               {code: other, label: {en: Other}}]}",
        "  - {id: lab, type: text, required: true, text: {en: Lab}}",
        "constructs:",
    ]
    for c in range(0, n_items, 6):
        lines.append(f"  - {{id: c{c // 6}, name: {{en: C}}, definition: {{en: D}}, "
                     "scale: agree5, items: [")
        ids = [f"i{k + 1}" for k in range(c, min(c + 6, n_items))]
        lines.append(",\n".join(f"      {{id: {i}, text: {{en: Item {i}}}, reverse: false}}"
                                for i in ids) + "]}")
    return loads("\n".join(lines))


def _col(j: int) -> str:
    s, n = "", j + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def make_workbook(instrument, rows: int, seed: int = 1) -> bytes:
    """A minimal .xlsx (inline strings, numeric answers, ~2 % blanks) built directly."""
    import numpy as np

    rng = np.random.default_rng(seed)
    header = list(instrument.columns)
    n_items = len(instrument.item_ids)
    answers = rng.integers(1, 6, size=(rows, n_items))
    blank = rng.random((rows, n_items)) < 0.02
    regions = np.array(["china", "united_states", "other"])[rng.integers(0, 3, rows)]
    labs = rng.integers(1, 15, rows)
    cols = [_col(j) for j in range(len(header))]
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             "<sheetData>"]

    def s(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    parts.append('<row r="1">' + "".join(s(f"{c}1", h) for c, h in zip(cols, header,
                                                                       strict=True)) + "</row>")
    item_cols = cols[3:]
    for i in range(rows):
        r = i + 2
        cells = [s(f"A{r}", f"R{i + 1:06d}"), s(f"B{r}", regions[i]),
                 s(f"C{r}", f"CN-{labs[i]:02d}")]
        a = answers[i]
        b = blank[i]
        cells.extend(f'<c r="{c}{r}"><v>{a[k]}</v></c>' for k, c in enumerate(item_cols)
                     if not b[k])
        parts.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    parts.append("</sheetData></worksheet>")
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="responses" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": "".join(parts),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Fastest wall time of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    """Build the workbook, time both reads, print the figures."""
    import pandas as pd

    from survey.responses import read_responses

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    inst = make_instrument(args.items)
    t0 = time.perf_counter()
    data = make_workbook(inst, args.rows)
    built = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        path.write_bytes(data)
        print(f"workbook: {args.rows:,} rows x {args.items} items, {len(data) / 1e6:.1f} MB "
              f"(built in {built:.1f} s)")
        bare, frame = best_of(lambda: pd.read_excel(path, engine="calamine"), args.repeat)
        full, rs = best_of(lambda: read_responses(path, inst), args.repeat)
    if len(frame) != rs.log.rows_read:
        raise SystemExit(f"row counts differ: pandas {len(frame)}, import {rs.log.rows_read}")
    print(f"pandas.read_excel(engine='calamine'): {bare:6.2f} s")
    print(f"read_responses (whole import):        {full:6.2f} s")
    print(f"ratio: {full / bare:.2f}x (goal: <= 1.2x); rows accepted {rs.log.rows_accepted:,}, "
          f"records {len(rs.log.records):,}")


if __name__ == "__main__":
    main()
