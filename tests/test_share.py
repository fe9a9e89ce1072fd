"""``survey share``: the de-identified data package.

Checked independently of the code that wrote it: k-anonymity by a plain ``groupby`` on
the written ``data.csv``, the blanked cells against the original answers, the package by
the ``frictionless`` library, the group means by hand from the original data, and the
shared data by running ``survey report`` on them.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from platform_layouts import qualtrics_layout

from survey.cli import cli
from survey.instrument import load, resolve
from survey.simulate import simulate

KEYS = ["lab_type", "lab", "role", "years_in_field", "student"]
BANDS = {"lt1": "lt3", "y1_3": "lt3", "y3_5": "y3_10", "y5_10": "y3_10", "y10plus": "y10plus"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A Qualtrics export (with IP addresses, timestamps, durations) of 3 + 3 simulated
    labs of the flagship instrument."""
    inst = load("lab-culture")
    frame = simulate(inst, seed=11, labs={"china": 3, "united_states": 3},
                     respondents_per_lab=(15, 25))
    folder = tmp_path_factory.mktemp("share")
    path = folder / "responses.csv"
    path.write_bytes(qualtrics_layout(frame, inst))
    return path, frame


def _share(path, out, *args):
    result = CliRunner().invoke(cli, ["share", str(path), "--seed", "5", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def package(source, tmp_path_factory):
    path, _ = source
    out = tmp_path_factory.mktemp("pkg") / "shared"
    result = _share(path, out, "--licence", "CC-BY-4.0")
    return out, result.output


def _data(out) -> pd.DataFrame:
    return pd.read_csv(out / "data.csv", dtype=str, keep_default_na=False).replace("", None)


@pytest.mark.slow
def test_frictionless_validates_the_package(package):
    frictionless = pytest.importorskip("frictionless")
    out, _ = package
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    names = [task.name for task in report.tasks]
    assert names == ["data", "instrument", "codebook", "risk", "protection", "suppressed",
                     "utility-means", "utility-hypotheses"]


def test_table_schema_carries_types_labels_missing_values_and_keying(package):
    out, _ = package
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"] == [{"name": "CC-BY-4.0"}]
    assert "SIMULATED" in descriptor["description"]
    schema = descriptor["resources"][0]["schema"]
    assert schema["missingValues"] == [""] and schema["primaryKey"] == ["respondent_id"]
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == list(_data(out).columns)
    assert fields["respondent_id"]["constraints"] == {"required": True, "unique": True}
    region = fields["lab_region"]
    assert region["type"] == "string"
    assert region["categories"][0] == {"value": "china", "label": "China / 中国"}
    years = fields["years_in_field"]
    assert years["constraints"]["enum"] == ["lt3", "y3_10", "y10plus"]
    assert "identifying" in years["description"]
    sp2 = fields["sp2"]
    inst = load("lab-culture")
    assert sp2["type"] == "integer" and sp2["keying"] == ("reverse" if inst.item("sp2").reverse
                                                          else "forward")
    assert sp2["construct"] == "self_promotion"
    assert sp2["constraints"] == {"minimum": 1, "maximum": 5}
    assert sp2["categories"][3] == {"value": 4, "label": "Agree / 同意"}
    assert fields["attn1"]["description"].endswith("a careful respondent answers 4)")


def test_every_combination_reaches_k_by_a_plain_groupby(package, source):
    out, _ = package
    _, original = source
    data = _data(out)
    suppressed = pd.read_csv(out / "disclosure" / "suppressed.csv")
    counts = data[KEYS].groupby(KEYS, dropna=False).size()
    combos = [(tuple(None if v != v else v for v in c), int(n)) for c, n in counts.items()]
    small = 0
    for combo, n in combos:
        if n >= 5:
            continue
        small += 1
        # fewer than 5 share it exactly: blanked cells make up the difference
        assert None in combo or any(None in other for other, _ in combos)
        compatible = sum(m for other, m in combos if all(
            a is None or b is None or a == b for a, b in zip(combo, other, strict=True)))
        assert compatible >= 5, (combo, n, compatible)
    assert small  # the protection had work to do
    # every blank key cell is an unanswered question or a listed suppression
    banded = original.assign(years_in_field=original["years_in_field"].map(BANDS))
    for key in KEYS:
        blanks = int(data[key].isna().sum())
        listed = int((suppressed["column"] == key).sum())
        assert blanks == int(banded[key].isna().sum()) + listed, key
    listed_ids = set(suppressed["respondent_id"])
    assert listed_ids <= set(data["respondent_id"])


def test_default_protections(package, source):
    out, output = package
    _, original = source
    data = _data(out)
    assert len(data) == len(original)
    # metadata and the original ids are gone
    text = (out / "data.csv").read_text(encoding="utf-8")
    for column in ("IPAddress", "StartDate", "Duration", "ResponseId"):
        assert column not in text
    assert not set(data["respondent_id"]) & set(original["respondent_id"])
    assert data["respondent_id"].str.fullmatch(r"SIM-P\d{4}").all()
    # new lab codes, one per lab
    assert data["lab"].dropna().str.fullmatch(r"L\d\d").all()
    assert not set(data["lab"].dropna()) & set(original["lab"])
    assert data["lab"].dropna().nunique() == original["lab"].nunique()
    # years in bands
    assert set(data["years_in_field"].dropna()) <= {"lt3", "y3_10", "y10plus"}
    # the answers are the original answers (same multiset of rows)
    items = list(load("lab-culture").item_ids)
    a = original[items].astype("float").fillna(-1).sort_values(items).to_numpy()
    b = data[items].astype("float").fillna(-1).sort_values(items).to_numpy()
    assert (a == b).all()
    assert "risk before:" in output and "risk after: 0 of" in output
    assert "left out: source_row, flags" in output and "IPAddress" in output


def test_risk_and_readme(package, source):
    out, _ = package
    _, original = source
    risk = pd.read_csv(out / "disclosure" / "risk.csv")
    assert list(risk["stage"]) == ["original", "new lab codes", "bands", "shared"]
    # the original risk by the documented rule, record by record
    values = original[KEYS].astype(object).where(original[KEYS].notna(), None).to_numpy()
    fk = [sum(all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))
              for b in values) for a in values]
    first = risk.iloc[0]
    assert first["violating"] == sum(f < 5 for f in fk)
    assert first["max_risk"] == pytest.approx(1 / min(fk))
    assert first["expected_reidentifications"] == pytest.approx(sum(1 / f for f in fk))
    last = risk.iloc[-1]
    assert last["violating"] == 0 and last["max_risk"] <= 0.2
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "**Licence:** CC-BY-4.0" in readme
    assert "**Simulated data.**" in readme
    assert f"| original | {int(first['violating'])} of {len(original)} |" in readme
    assert "survey report data.csv -i instrument.yaml -o report" in readme


def test_utility_sets_original_means_beside_the_shared_ones(package, source):
    from analysis.scoring import score_scales

    out, _ = package
    _, original = source
    inst = load("lab-culture")
    means = pd.read_csv(out / "disclosure" / "utility_means.csv")
    scores = score_scales(original, inst)
    by_hand = scores.groupby("lab_region", observed=True)["self_promotion"].mean()
    rows = means[(means["by"] == "lab_region") & (means["construct"] == "self_promotion")]
    for r in rows.itertuples(index=False):
        if r.group in by_hand:
            assert r.mean_original == pytest.approx(by_hand[r.group])
            # lab_region is not identifying: its means are untouched
            assert r.mean_shared == pytest.approx(r.mean_original)
    hyp = pd.read_csv(out / "disclosure" / "utility_hypotheses.csv")
    assert set(hyp["test"]) == {"welch", "mixed"}
    assert len(hyp) == 2 * len(inst.hypotheses)
    welch = hyp[hyp["test"] == "welch"]
    # the scores do not change, so the respondent-level tests do not either
    assert (welch["verdict_original"] == welch["verdict_shared"]).all()


def test_same_seed_same_bytes_and_options(source, package, tmp_path):
    path, original = source
    out, _ = package
    again = tmp_path / "again"
    _share(path, again, "--licence", "CC-BY-4.0")
    for f in sorted(p for p in out.rglob("*") if p.is_file()):
        assert (again / f.relative_to(out)).read_bytes() == f.read_bytes(), f.name
    kept = tmp_path / "kept"
    result = _share(path, kept, "--keep-lab-codes", "--no-bands", "--keep", "IPAddress",
                    "-k", "3")
    data = _data(kept)
    assert "IPAddress" in data.columns
    assert set(data["lab"].dropna()) <= set(original["lab"])
    assert set(data["years_in_field"].dropna()) <= set(BANDS)
    assert "note: 'IPAddress' kept as asked" in result.output
    readme = (kept / "README.md").read_text(encoding="utf-8")
    assert "_to be chosen by the data owner before publishing_" in readme
    assert "k = 3" in readme


SMALL = """\
id: small
version: "1"
languages: [en]
title: {en: Small}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [SD, D, N, A, SA]}}}
groups:
  - {id: lab_region, required: true, text: {en: Region},
     choices: [{code: china, label: {en: China}}, {code: united_states, label: {en: US}}]}
  - {id: lab, type: text, required: true, identifying: true, text: {en: Lab}}
  - id: role
    identifying: true
    text: {en: Role}
    choices: [{code: a, label: {en: A}}, {code: b, label: {en: B}}, {code: c, label: {en: C}}]
  - id: years
    identifying: true
    required: true
    text: {en: Years}
    choices: [{code: y1, label: {en: "1"}}, {code: y2, label: {en: "2"}},
              {code: y3, label: {en: "3"}}]
    bands:
      - {code: y12, label: {en: 1-2}, choices: [y1, y2]}
      - {code: y3, label: {en: "3"}, choices: [y3]}
constructs:
  - id: c
    name: {en: C}
    definition: {en: C}
    scale: agree5
    items:
      - {id: i1, text: {en: one}, reverse: false}
      - {id: i2, text: {en: two}, reverse: true}
      - {id: i3, text: {en: three}, reverse: false}
hypotheses:
  - {id: H1, construct: c, by: lab_region, predicts: china > united_states, source: x}
"""


def test_survey_report_runs_on_the_shared_data(tmp_path):
    """A small instrument keeps the report quick; its years question is banded and
    required, so the shared instrument must accept the bands and the blanked cells."""
    from survey.instrument import loads

    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    inst = loads(SMALL)
    frame = simulate(inst, seed=2, labs={"china": 3, "united_states": 3},
                     respondents_per_lab=(8, 12))
    roles, years = ["a", "b", "c"], ["y1", "y2", "y3"]
    frame["role"] = [roles[i % 3] for i in range(len(frame))]
    frame["years"] = [years[(i // 3) % 3] for i in range(len(frame))]
    frame.to_csv(tmp_path / "responses.csv", index=False)
    out = tmp_path / "shared"
    shared = _share(tmp_path / "responses.csv", out, "-i", str(tmp_path / "small.yaml"))
    assert "local suppression:" in shared.output
    data = _data(out)
    assert data["years"].isna().any() and set(data["years"].dropna()) <= {"y12", "y3"}
    result = CliRunner().invoke(cli, ["report", str(out / "data.csv"), "-i",
                                      str(out / "instrument.yaml"), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    n = len(frame)
    assert f"rows read {n}, accepted {n}, rejected 0" in result.output
    assert re.search(r"^H1 +c +china > united_states +.*(supported|not supported)",
                     result.output, re.MULTILINE)
    derived = (out / "instrument.yaml").read_text(encoding="utf-8")
    assert loads(derived).group("years").codes == ("y12", "y3")
    assert loads(derived).group("years").required is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "IPadress"], "--keep 'IPadress': not a free-text question or metadata "
                                 "column of these responses"),
        (["-k", "1"], "1 is not in the range x>=2"),
        (["-k", "10000"], "cannot be 10000-anonymous"),
        (["--suppress-order", "lab_region"], "--suppress-order 'lab_region' is not an "
                                             "identifying question"),
    ],
    ids=["unknown-keep", "k-1", "k-too-large", "order"],
)
def test_bad_options_are_one_line(source, tmp_path, args, message):
    path, _ = source
    result = CliRunner().invoke(cli, ["share", str(path), *args, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_output_folder_is_a_file_and_input_is_never_overwritten(source, tmp_path):
    path, _ = source
    afile = tmp_path / "file"
    afile.write_text("x")
    result = CliRunner().invoke(cli, ["share", str(path), "-o", str(afile)])
    assert result.exit_code == 2 and "is a file" in result.output
    result = CliRunner().invoke(cli, ["share", str(path), "-o", str(resolve(None).parent)])
    assert result.exit_code == 2 and "would overwrite the input file" in result.output
