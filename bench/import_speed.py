"""Whole-process ``survey import`` against bare reads of the same file, xlsx and CSV.

Builds a 100,000-respondent x 60-item file in the template layout (a generated instrument:
10 constructs of 6 items on a 1-5 scale, a region and a lab code; about 2 % blank answers)
as ``.xlsx`` and as ``.csv``, then runs each of these as its own process, three times,
and prints the median wall time and the ratio of each import to the bare read of its
file:

* ``survey import FILE -i bench.yaml -o clean.csv``: reading, finding the header, every
  validation check, the import log and writing the clean CSV, as a user runs it;
* ``python -c 'pandas.read_excel(FILE, engine="calamine")'``: only reading the sheet;
* ``python -c 'pyarrow.csv.read_csv(FILE)'`` and ``pandas.read_csv(FILE)``: only reading
  the CSV.

Goals (issue "Fast at every size"): the xlsx import no slower than the bare
``read_excel`` (ratio <= 1.0), the CSV import correspondingly fast. The machine's load
average is printed before and after, since other work on it changes every figure; compare
ratios measured in the same run. Run from the repository root::

    python bench/import_speed.py [--rows 100000] [--items 60] [--repeat 3]

Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from common import load_average, median_of, survey_command


def make_instrument(n_items: int):
    """A generated instrument: constructs of 6 items on a 1-5 scale, region, lab."""
    from survey.instrument import loads

    return loads(instrument_yaml(n_items))


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


def make_csv(instrument, rows: int, seed: int = 1) -> bytes:
    """The same answers as :func:`make_workbook`, as a UTF-8 CSV."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_items = len(instrument.item_ids)
    answers = rng.integers(1, 6, size=(rows, n_items))
    blank = rng.random((rows, n_items)) < 0.02
    regions = np.array(["china", "united_states", "other"])[rng.integers(0, 3, rows)]
    labs = rng.integers(1, 15, rows)
    lines = [",".join(instrument.columns)]
    for i in range(rows):
        cells = [f"R{i + 1:06d}", regions[i], f"CN-{labs[i]:02d}"]
        cells.extend("" if blank[i, k] else str(answers[i, k]) for k in range(n_items))
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def instrument_yaml(n_items: int) -> str:
    """The YAML text of :func:`make_instrument` (the command reads a file)."""
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
        ids = [f"i{k + 1}" for k in range(c, min(c + 6, n_items))]
        lines.append(f"  - {{id: c{c // 6}, name: {{en: C}}, definition: {{en: D}}, "
                     "scale: agree5, items: [")
        lines.append(",\n".join(f"      {{id: {i}, text: {{en: Item {i}}}, reverse: false}}"
                                for i in ids) + "]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Build the files, time every process, print the figures and the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--survey", default=None, metavar="COMMAND",
                    help="how to run survey (default: the survey script beside this "
                         "python), e.g. to time another checkout: "
                         "'env PYTHONPATH=../old python -m survey.cli'")
    args = ap.parse_args()

    command = survey_command(args.survey)
    inst = make_instrument(args.items)
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bench.yaml").write_text(instrument_yaml(args.items), encoding="utf-8")
        (tmp / "bench.xlsx").write_bytes(make_workbook(inst, args.rows))
        (tmp / "bench.csv").write_bytes(make_csv(inst, args.rows))
        py = sys.executable
        runs = {
            "xlsx: survey import -o clean.csv": [*command, "import", "bench.xlsx", "-i",
                                                 "bench.yaml", "-o", "clean.csv"],
            "xlsx: pandas.read_excel(calamine)": [
                py, "-c", "import pandas; pandas.read_excel('bench.xlsx', engine='calamine')"],
            "csv:  survey import -o clean.csv": [*command, "import", "bench.csv", "-i",
                                                 "bench.yaml", "-o", "clean.csv"],
            "csv:  pyarrow.csv.read_csv": [
                py, "-c", "import pyarrow.csv; pyarrow.csv.read_csv('bench.csv')"],
            "csv:  pandas.read_csv": [py, "-c", "import pandas; pandas.read_csv('bench.csv')"],
        }
        print(f"{args.rows:,} rows x {args.items} items: bench.xlsx "
              f"{(tmp / 'bench.xlsx').stat().st_size / 1e6:.1f} MB, bench.csv "
              f"{(tmp / 'bench.csv').stat().st_size / 1e6:.1f} MB; median of {args.repeat} "
              f"whole-process runs; {os.cpu_count()} cores, load average before "
              f"{load_before}")
        got = {}
        for name, argv in runs.items():
            got[name], _, runs_of = median_of(args.repeat, argv, cwd=tmp)
            out = runs_of[-1].stdout
            if "survey import" in name and f"rows read {args.rows}" not in out:
                raise SystemExit(f"{name}: unexpected summary: {out}")
            print(f"  {name:38s} {got[name]:6.2f} s")
    x = got["xlsx: survey import -o clean.csv"] / got["xlsx: pandas.read_excel(calamine)"]
    c1 = got["csv:  survey import -o clean.csv"] / got["csv:  pyarrow.csv.read_csv"]
    c2 = got["csv:  survey import -o clean.csv"] / got["csv:  pandas.read_csv"]
    print(f"ratio xlsx import / bare read_excel:  {x:.2f}x (goal <= 1.0)")
    print(f"ratio csv import / bare pyarrow read: {c1:.2f}x")
    print(f"ratio csv import / bare pandas read:  {c2:.2f}x")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
