"""The bundled instruments are found from an editable install and from a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

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


@pytest.mark.slow
def test_wheel_install_finds_instruments(tmp_path):
    """Build the wheel (as ``pip install .`` does) and import it from another directory."""
    pytest.importorskip("hatchling", reason="hatchling (test extra) builds the wheel")
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("lab_culture_survey-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "survey/_bundled/lab-culture/instrument.yaml" in names
    assert "survey/_bundled/lab-culture/README.md" in names
    assert "survey/schema/instrument.schema.json" in names
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
