"""Regenerate the exporters' golden files in tests/golden/ from the flagship instrument.

Usage (from the repository root)::

    python tests/update_golden.py            # every format in survey.forms.FORMATS
    python tests/update_golden.py html xlsx  # only these

Review the change (``git diff --stat tests/golden``; open the file in its program) before
committing it: a golden file is the reviewed output, and tests/test_forms_golden.py
compares every export with it byte for byte.

A golden file is named ``lab-culture.<format><suffix>`` (``lab-culture.xlsform.xlsx``),
or ``lab-culture<suffix>`` when the format is named after its suffix (``html`` writes
``lab-culture.html``, ``xlsx`` writes ``lab-culture.xlsx``).
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
INSTRUMENT = "lab-culture"


def golden_path(name: str) -> Path:
    """Path of the golden file of format ``name``."""
    from survey.forms import format_module

    suffix = format_module(name).FORMAT.suffix
    if suffix == f".{name}":
        return GOLDEN / f"{INSTRUMENT}{suffix}"
    return GOLDEN / f"{INSTRUMENT}.{name}{suffix}"


def golden_bytes(name: str) -> bytes:
    """What format ``name`` writes for the flagship instrument, every language."""
    from survey.forms import export
    from survey.instrument import load

    return export(load(INSTRUMENT), name)


def main(argv: list[str]) -> int:
    """Write the golden files of the formats named in ``argv`` (default: all)."""
    from survey.forms import FORMATS

    names = argv or list(FORMATS)
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        print(f"unknown format(s): {', '.join(unknown)}; known: {', '.join(FORMATS)}",
              file=sys.stderr)
        return 2
    GOLDEN.mkdir(exist_ok=True)
    for name in names:
        path = golden_path(name)
        data = golden_bytes(name)
        old = path.read_bytes() if path.is_file() else None
        if old == data:
            print(f"unchanged {path.relative_to(GOLDEN.parent.parent)}")
            continue
        path.write_bytes(data)
        verb = "wrote" if old is None else "updated"
        print(f"{verb} {path.relative_to(GOLDEN.parent.parent)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
