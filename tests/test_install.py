"""The bundled instruments are found from an editable install and from a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = (
    "import json, survey, survey.instrument as si; "
    "print(survey.__file__); print(si.bundled_instruments()['lab-culture']); "
    "print(si.load('lab-culture').id); print(json.loads(si.json_schema())['title'])"
)


def test_editable_install_finds_instruments_from_another_directory(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "survey.cli", "instruments"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert out.stdout.startswith("lab-culture\t")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once for the tests of this file as ``pip install .``
    builds it."""
    pytest.importorskip("hatchling", reason="hatchling (test extra) builds the wheel")
    wheel_dir = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True,
    )
    (built,) = wheel_dir.glob("lab_culture_survey-*.whl")
    return built


@pytest.mark.slow
def test_wheel_install_finds_instruments(wheel, tmp_path):
    """Import the built wheel from another directory."""
    names = zipfile.ZipFile(wheel).namelist()
    assert "survey/_bundled/lab-culture/instrument.yaml" in names
    assert "survey/_bundled/lab-culture/README.md" in names
    assert "survey/schema/instrument.schema.json" in names
    # the figures' font, with its licence
    assert "analysis/report/fonts/DejaVuSans.ttf" in names
    assert "analysis/report/fonts/LICENSE" in names
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env,
                         capture_output=True, text=True, check=True)
    module, yaml_path, inst_id, schema_title = out.stdout.strip().splitlines()
    assert module.startswith(str(target))
    assert yaml_path.startswith(str(target / "survey" / "_bundled"))
    assert inst_id == "lab-culture"
    assert schema_title == "lab-culture-survey instrument"


# ---- every advertised output on a plain install (no test extra) -----------------------------

def _runtime_closure(requirements: list[str]) -> list:
    """Installed distributions a plain ``pip install .`` would bring: the requirements
    without extras, and theirs, recursively (markers evaluated for this interpreter)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, object] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = canonicalize_name(req.name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"runtime dependency {req.name} is not installed here")
        seen[key] = dist
        todo.extend(Requirement(r) for r in dist.requires or ())
    return list(seen.values())


def _plain_environment(wheel: Path, tmp_path: Path):
    """A venv holding the built wheel and only its runtime dependencies.

    The dependencies are linked from this interpreter's site-packages (no download, no
    build), one top-level entry of each distribution's RECORD at a time, so a module
    the code imports but ``pyproject.toml`` does not require is missing, as it would be
    after the README's ``pip install .``.
    """
    import email

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        requires = email.message_from_bytes(zf.read(meta)).get_all("Requires-Dist") or []
    for dist in _runtime_closure(requires):
        tops = {f.parts[0] for f in dist.files or () if f.parts and f.parts[0] != ".."}
        for top in tops:
            source = dist.locate_file(top)
            target = site / top
            if source.exists() and not target.exists():
                target.symlink_to(source)
    script = venv / "bin" / "survey"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nfrom survey.cli import main\nmain()\n")
    script.chmod(0o755)
    return venv, requires


@pytest.mark.slow
def test_every_output_format_works_without_the_test_extra(wheel, tmp_path):
    """``-o`` of import (csv, xlsx, parquet, sav, dta), --rejected/--log, score, simulate,
    export and report, run from a venv that has no test extra (pyarrow once lived only
    there, and ``-o clean.parquet`` died with a traceback)."""
    venv, _ = _plain_environment(wheel, tmp_path)
    python = venv / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import pytest"], capture_output=True)
    assert probe.returncode != 0  # the test extra is really absent
    sample = REPO / "sample_data" / "lab_culture_responses.xlsx"
    out = tmp_path / "out"
    runs = [
        ["import", str(sample), "-o", str(out / "clean.csv"), "--rejected",
         str(out / "rejected.xlsx"), "--log", str(out / "log.csv")],
        *(["import", str(sample), "-o", str(out / f"clean{s}")]
          for s in (".xlsx", ".parquet", ".sav", ".dta")),
        ["score", str(sample), "-o", str(out / "scores.xlsx")],
        ["simulate", "--labs", "2", "--respondents-per-lab", "3-3", "-o", str(out / "s.xlsx")],
        *(["export", "-f", f, "-o", str(out / f"form-{f}{x}")]
          for f, x in (("html", ".html"), ("xlsx", ".xlsx"), ("xlsform", ".xlsx"),
                       ("codebook", ".md"), ("redcap", ".csv"))),
        ["report", str(sample), "--quiet", "-o", str(out / "report")],
    ]
    for args in runs:
        done = subprocess.run([str(venv / "bin" / "survey"), *args], cwd=tmp_path,
                              capture_output=True, text=True)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
    import pandas as pd

    assert len(pd.read_parquet(out / "clean.parquet")) == 585
    for name in ("clean.csv", "clean.xlsx", "clean.sav", "clean.dta", "rejected.xlsx",
                 "log.csv", "scores.xlsx", "s.xlsx", "report/report.html",
                 "report/report.xlsx"):
        assert (out / name).stat().st_size > 0, name
