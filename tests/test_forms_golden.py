"""Every registered format's export of the flagship instrument equals its reviewed golden file.

Golden files live in tests/golden/ (naming: :func:`update_golden.golden_path`); regenerate
them with ``python tests/update_golden.py [FORMAT ...]`` after reviewing the change. A format
without a golden file yet is skipped with the reason.
"""

from __future__ import annotations

import difflib
import io
import zipfile

import pytest
from update_golden import GOLDEN, golden_bytes, golden_path

from survey.forms import FORMATS


def _explain(name: str, got: bytes, want: bytes) -> str:
    """A short account of where two exports differ."""
    if got[:2] == b"PK" and want[:2] == b"PK":
        a, b = zipfile.ZipFile(io.BytesIO(got)), zipfile.ZipFile(io.BytesIO(want))
        parts = sorted(set(a.namelist()) | set(b.namelist()))
        changed = [p for p in parts
                   if p not in a.namelist() or p not in b.namelist() or a.read(p) != b.read(p)]
        return f"zip parts that differ: {', '.join(changed) or 'none (entry metadata)'}"
    try:
        got_lines = got.decode("utf-8").splitlines()
        want_lines = want.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return f"{len(got)} bytes written, golden has {len(want)}"
    diff = difflib.unified_diff(want_lines, got_lines, "golden", name, n=1, lineterm="")
    return "\n".join(list(diff)[:40])


@pytest.mark.parametrize("name", list(FORMATS))
def test_export_equals_golden(name: str) -> None:
    path = golden_path(name)
    if not path.is_file():
        pytest.skip(f"no golden file yet ({path.relative_to(GOLDEN.parent.parent)}); review "
                    f"the output and run python tests/update_golden.py {name}")
    got = golden_bytes(name)
    want = path.read_bytes()
    assert got == want, (
        f"{name} export differs from {path.name}; if the change is intended, review it and "
        f"run python tests/update_golden.py {name}\n" + _explain(name, got, want)
    )


def test_export_is_deterministic_for_every_format() -> None:
    for name in FORMATS:
        assert golden_bytes(name) == golden_bytes(name), name
