"""The Measurement model section of the report and ``survey validate``.

The report built on ``tests/reference/validity_sample.csv`` (a copy of the bundled
simulated sample) shows the numbers ``tests/reference/validity.R`` computed with lavaan,
semTools and psych (rounded as the page rounds them); the tables it writes are those of
the library functions. A sample too small for the models gives a report that says so
instead of failing. The bundled sample itself is checked for what sample_data/README.md
says was planted: bb5 is freed for H3 and nothing else.
"""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.report import build_report
from survey.cli import cli
from survey.instrument import load
from survey.responses import read_responses
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

REF = Path(__file__).resolve().parent / "reference"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "lab_culture_responses.xlsx"
TABLES = ("dimensionality", "cfa_fit", "cfa_loadings", "factor_correlations",
          "modification_indices", "validity", "htmt", "partial_invariance", "latent_means")


@pytest.fixture(scope="module")
def ref_rs() -> ResponseSet:
    return read_responses(REF / "validity_sample.csv", load("lab-culture"))


@pytest.fixture(scope="module")
def ref_report(ref_rs) -> dict[str, bytes]:
    return build_report(ref_rs)


def _table(files: dict[str, bytes], name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(files[f"tables/{name}.csv"]), keep_default_na=False,
                       na_values=[""])


def _section(html: str) -> str:
    return html.split('<section id="measurement">', 1)[1].split('<section id="constructs">',
                                                                   1)[0]


def _cell(html: str, row_id: str, col: str) -> str:
    row = html.split(f'id="{row_id}"', 1)[1].split("</tr>", 1)[0]
    return unescape(row.split(f'data-col="{col}">', 1)[1].split("<", 1)[0])


@pytest.mark.slow
def test_report_shows_lavaan_semtools_and_psych_numbers(ref_report):
    """The page's cells are R's values, rounded as shown."""
    html = ref_report["report.html"].decode()
    section = _section(html)
    fit = pd.read_csv(REF / "validity_cfa_fit.csv").set_index(["dataset", "estimator"])
    ml, mlm = fit.loc[("sample", "ML")], fit.loc[("sample", "MLM")]
    assert _cell(section, "fit-ML", "chisq") == f"{ml['chisq']:.2f}"
    assert _cell(section, "fit-ML", "cfi") == f"{ml['cfi']:.3f}".lstrip("0")
    assert _cell(section, "fit-MLM", "chisq") == f"{mlm['chisq_scaled']:.2f}"
    assert _cell(section, "fit-MLM", "cfi") == f"{mlm['cfi_robust']:.3f}".lstrip("0")
    assert _cell(section, "fit-MLM", "rmsea") == f"{mlm['rmsea_robust']:.3f}".lstrip("0")
    assert _cell(section, "fit-MLM", "srmr") == f"{mlm['srmr']:.3f}".lstrip("0")
    latent = pd.read_csv(REF / "validity_latent.csv")
    partial = latent[latent["model"] == "partial"].iloc[0]
    shown = _cell(section, "latent-build_vs_buy", "latent_diff")
    assert shown.startswith(f"{partial['latent_mean']:.2f}".replace("-", "−"))
    assert _cell(section, "latent-build_vs_buy", "freed_intercepts") == "bb5"
    pa = pd.read_csv(REF / "validity_parallel.csv")
    whole = pa[(pa["dataset"] == "sample") & (pa["scope"] == "all")].iloc[0]
    assert _cell(section, "dim-all", "factors_suggested") == str(whole["nfact"])
    assert _cell(section, "dim-all", "components_suggested") == str(whole["ncomp"])
    # a plain-language reading of each table, and the caveat of few respondents per parameter
    for text in ("Parallel analysis of all 48 items suggests 8 factors and 8 components: as "
                 "many as the instrument's 8 constructs.",
                 "Within each construct, the items suggest a single factor.",
                 "The 8 constructs are distinct: no HTMT above .85",
                 "every construct's √AVE exceeds its correlations with the others",
                 "releasing the intercept of bb5 restores it",
                 "228 respondents answered every item: 1.8 per free parameter (124)"):
        assert text in unescape(section), text
    assert "Random part: 20 data sets of normal noise, seed 20240611." in section


@pytest.mark.slow
def test_report_tables_are_the_library_tables(ref_report, ref_rs):
    from analysis.invariance import partial_invariance
    from analysis.validity import measurement_model

    model = measurement_model(ref_rs)
    for name in ("cfa_fit", "cfa_loadings", "validity", "htmt", "dimensionality"):
        got = _table(ref_report, name)
        want = model.tables[name]
        assert list(got.columns) == list(want.columns), name
        numeric = [c for c in want.columns if want[c].dtype.kind == "f"]
        assert got[numeric].to_numpy(dtype=float) == pytest.approx(
            want[numeric].to_numpy(dtype=float), rel=1e-12, nan_ok=True), name
    latent = partial_invariance(ref_rs, "lab_region").latent
    got = _table(ref_report, "latent_means")
    assert got["latent_diff"].to_numpy() == pytest.approx(latent["latent_diff"].to_numpy(),
                                                          rel=1e-9)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(ref_report["report.xlsx"]))
    for name in TABLES:
        assert name in wb.sheetnames
        assert [c.value for c in wb[name][1]] == list(_table(ref_report, name).columns)
    assert wb["cfa_fit"]["H2"].number_format == "0"          # df
    assert wb["cfa_fit"]["G2"].number_format == "0.000"      # chisq
    assert wb["dimensionality"]["D2"].number_format == "0"   # number


@pytest.mark.slow
def test_derived_columns_follow_from_lavaan_and_semtools(ref_report):
    """The columns the section derives from the fitted model, worked out here from R's
    values: R² is the squared standardised loading (lavaan), √AVE the root of semTools'
    AVE, the largest correlation the largest absolute factor correlation of lavaan's
    (std.lv) fit, Fornell-Larcker √AVE > that, and the largest HTMT that of semTools'
    HTMT2 (the pair that semTools gives .024 for and this package 0 is explained in
    test_validity.test_htmt_matches_semtools)."""
    params = pd.read_csv(REF / "validity_cfa_params.csv")
    params = params[(params["dataset"] == "sample") & (params["estimator"] == "ML")]
    loads = _table(ref_report, "cfa_loadings")
    std = params[params["op"] == "=~"].set_index("rhs")["est_std"]
    assert loads["r2"].to_numpy() == pytest.approx(std.loc[loads["item"]].to_numpy() ** 2,
                                                   abs=1e-5)
    ave = pd.read_csv(REF / "validity_semtools.csv").query("dataset == 'sample'") \
        .set_index("factor")["ave"]
    corr = params[params["op"] == "~~"]
    corr = corr[corr["lhs"] != corr["rhs"]]
    htmt = pd.read_csv(REF / "validity_htmt.csv").query("dataset == 'sample'")
    validity = _table(ref_report, "validity").set_index("construct")
    for construct, row in validity.iterrows():
        mine = corr[(corr["lhs"] == construct) | (corr["rhs"] == construct)]
        max_r = mine["est"].abs().max()
        assert row["sqrt_ave"] == pytest.approx(np.sqrt(ave[construct]), abs=1e-5)
        assert row["max_r"] == pytest.approx(max_r, abs=1e-3), construct
        assert bool(row["fornell_larcker"]) == (np.sqrt(ave[construct]) > max_r)
        pairs = htmt[(htmt["factor_a"] == construct) | (htmt["factor_b"] == construct)]
        assert row["max_htmt"] == pytest.approx(pairs["htmt2"].max(), abs=1e-6), construct


@pytest.mark.slow
def test_partial_steps_and_observed_differences_are_checked_independently(ref_report):
    """The numbers of the partial-invariance and latent-means tables not checked above.

    The steps of build_vs_buy are lavaan's scalar model (step 0) and partial model with
    bb5's intercept free (step 1) for China and the United States
    (``validity_latent.csv``), and each change is that fit less lavaan's metric fit.
    The observed difference beside each latent one is worked out here with pandas: the
    mean of the keyed items (reversed as 6 - x) of those who answered every item of the
    construct, United States less China, and that over China's SD (n - 1).
    """
    ref = pd.read_csv(REF / "validity_latent.csv").set_index(["construct", "model"])
    steps = _table(ref_report, "partial_invariance")
    assert steps["construct"].tolist() == ["build_vs_buy"] * 2
    metric = ref.loc[("build_vs_buy", "metric")]
    for (_, row), model in zip(steps.iterrows(), ("scalar", "partial"), strict=True):
        r = ref.loc[("build_vs_buy", model)]
        assert row["n"] == r["n"] and row["df"] == r["df"]
        for col in ("chisq", "cfi", "rmsea", "srmr"):
            assert row[col] == pytest.approx(r[col], abs=1e-3), (model, col)
        for col in ("cfi", "rmsea", "srmr"):
            assert row[f"delta_{col}"] == pytest.approx(r[col] - metric[col], abs=1e-3), \
                (model, col)
    score = pd.read_csv(REF / "validity_scoretests.csv").set_index(["construct", "item"])
    assert steps["score_chisq"].iloc[1] == pytest.approx(score.loc[("build_vs_buy", "bb5"),
                                                                   "x2"], abs=1e-3)

    inst = load("lab-culture")
    raw = pd.read_csv(REF / "validity_sample.csv")
    latent = _table(ref_report, "latent_means").set_index("construct")
    for construct in inst.constructs:
        items = raw[list(construct.item_ids)].astype(float)
        for item in construct.items:
            if item.reverse:
                items[item.id] = 6 - items[item.id]
        complete = items.notna().all(axis=1)
        means = items[complete].mean(axis=1)
        region = raw.loc[complete, "lab_region"]
        china, us = means[region == "china"], means[region == "united_states"]
        row = latent.loc[construct.id]
        assert (row["n_reference"], row["n_group"]) == (len(china), len(us))
        assert row["n_reference"] + row["n_group"] == ref.loc[(construct.id, "scalar"), "n"]
        diff = us.mean() - china.mean()
        assert row["observed_diff"] == pytest.approx(diff, rel=1e-9), construct.id
        assert row["observed_std_diff"] == pytest.approx(diff / china.std(ddof=1),
                                                         rel=1e-9), construct.id
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (row["latent_diff"] - 1.959964 * row["se"],
             row["latent_diff"] + 1.959964 * row["se"]), abs=1e-6)


@pytest.mark.slow
def test_hypotheses_gain_the_latent_comparison(ref_report):
    hyp = _table(ref_report, "hypotheses").set_index("hypothesis")
    assert list(hyp.columns[-4:]) == ["latent_diff", "latent_se", "latent_p",
                                      "freed_intercepts"]
    assert hyp.loc["H3", "comparison_support"] == "partial invariance (bb5 freed)"
    assert hyp["freed_intercepts"].fillna("").to_dict() == {
        h: ("bb5" if h == "H3" else "") for h in hyp.index}
    # signed as the hypothesis: China predicted higher, US - China latent = -0.540
    latent = pd.read_csv(REF / "validity_latent.csv")
    partial = latent[latent["model"] == "partial"].iloc[0]
    assert hyp.loc["H3", "latent_diff"] == pytest.approx(-partial["latent_mean"], abs=1e-3)
    assert hyp.loc["H3", "latent_se"] == pytest.approx(partial["se"], abs=1e-3)
    assert hyp.loc["H3", "latent_p"] == pytest.approx(partial["p"], abs=1e-3)
    scalar = latent[latent["model"] == "scalar"].set_index("construct")
    assert hyp.loc["H1", "latent_diff"] == pytest.approx(
        scalar.loc["self_promotion", "latent_mean"], abs=1e-3)        # US predicted higher
    # the latent differences point the same way as the observed ones
    assert (np.sign(hyp["latent_diff"]) == np.sign(hyp["observed_diff"])).all()


@pytest.mark.slow
def test_chinese_section(ref_rs):
    from test_report_zh import _allowed, _english_words

    files = build_report(ref_rs, lang="zh")
    # the reference sample is large enough for every table of the section (the data sets
    # of test_report_zh are not): the page has no English words beyond the allowed ones
    assert _english_words(files["report.html"].decode(), _allowed(ref_rs.instrument,
                                                                  ref_rs.data)) == {}
    html = unescape(files["report.html"].decode())
    section = _section(html)
    for text in ("<h2>测量模型</h2>", "有几个维度？", "完整因子模型", "各构念是否可区分？",
                 "部分等值与潜在均值", "对全部 48 道题目的平行分析建议 8 个因子、8 个成分",
                 "8 个构念可以区分：没有 HTMT 高于 .85", "释放 bb5 的截距后恢复",
                 "稳健最大似然（Satorra–Bentler）",
                 "228 名受访者作答了全部题目：每个自由参数（124 个）约 1.8 名"):
        assert text in section, text
    assert "部分等值（释放 bb5）" in html
    methods = html.split('id="methods"', 1)[1]
    assert "测量模型：题目维度以 Horn（1965）的平行分析检验" in methods
    assert "序数 α" in html


def test_methods_paragraph_names_estimator_criteria_and_references(ref_report):
    html = unescape(ref_report["report.html"].decode())
    methods = html.split('id="methods"', 1)[1]
    for text in ("Satorra–Bentler correction (Satorra & Bentler, 1994; lavaan's MLM",
                 "Brosseau-Liard and Savalei (2014)", "Hu and Bentler's (1999)",
                 "composite reliability (Raykov, 1997", "HTMT2, Roemer, Schuberth & Henseler",
                 "above .85 (strict) or .90 (liberal)", "Chen's (2007) rule",
                 "Byrne, Shavelson & Muthén, 1989", "Zumbo, Gadermann & Zeisser, 2007",
                 "Horn's (1965) parallel analysis", "(seed 20240611)", "n = 228, 124 free"):
        assert text in methods, text
    refs = methods.split('<ol class="refs">', 1)[1]
    for author in ("Henseler, J., Ringle", "Satorra, A., & Bentler", "Horn, J. L.",
                   "Zumbo, B. D.", "Fornell, C., & Larcker", "Brosseau-Liard, P. E., & Savalei"):
        assert author in refs, author


def _small(n_per_lab: int, labs: int = 2) -> ResponseSet:
    inst = load("lab-culture")
    frame = simulate(inst, seed=4, labs={"china": labs, "united_states": labs},
                     respondents_per_lab=(n_per_lab, n_per_lab))
    return ResponseSet(frame, inst, ImportLog("small.csv", "template", rows_read=len(frame)))


def test_too_few_respondents_never_fail_the_report():
    """40 respondents: no full factor model (124 parameters), no multi-group model
    (100 per group); the section says why and the report is complete."""
    files = build_report(_small(10))
    html = unescape(files["report.html"].decode())
    section = _section(html)
    assert "too few respondents for the full factor model" in section
    assert "124 free parameters" in section
    assert "Latent means were not compared: fewer than 2 groups with at least 100" in section
    for name in ("cfa_fit", "cfa_loadings", "validity", "htmt", "modification_indices"):
        assert _table(files, name).empty, name
    dim = _table(files, "dimensionality")
    assert (dim["n"] == 40).all() and dim["scope"].iloc[0] == "all"
    latent = _table(files, "latent_means")
    assert (latent["status"] == "not tested").all()
    hyp = _table(files, "hypotheses")
    assert hyp["latent_diff"].isna().all()


def test_too_few_for_parallel_analysis_says_so():
    """8 respondents: fewer than the 48 items, so no parallel analysis of all items."""
    files = build_report(_small(2))
    dim = _table(files, "dimensionality")
    whole = dim[dim["scope"] == "all"].iloc[0]
    assert "more respondents than items" in whole["note"]
    assert pd.isna(whole["factors_suggested"])
    html = unescape(files["report.html"].decode())
    assert "parallel analysis needs more respondents than items (8 respondents, 48 items)" \
        in _section(html)


@pytest.mark.slow
def test_bundled_sample_frees_bb5_for_h3_only():
    """sample_data/README.md plants bb5 (United States, +0.8 SD) and nothing else."""
    if not SAMPLE.exists():
        pytest.skip("sample_data/lab_culture_responses.xlsx is absent")
    from analysis.invariance import partial_invariance

    rs = read_responses(SAMPLE, load("lab-culture"))
    result = partial_invariance(rs, "lab_region")
    freed = result.latent.set_index("construct")["freed_intercepts"]
    assert freed[freed != ""].to_dict() == {"build_vs_buy": "bb5"}
    assert (result.latent["status"] == "ok").all()
    assert result.steps["construct"].unique().tolist() == ["build_vs_buy"]


# ---- survey validate --------------------------------------------------------------------

@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory) -> Path:
    inst = load("lab-culture")
    frame = simulate(inst, seed=9, labs={"china": 6, "united_states": 6},
                     respondents_per_lab=(40, 40), dif=[("bb5", "united_states", 1.0)])
    path = tmp_path_factory.mktemp("validate") / "responses.csv"
    frame.to_csv(path, index=False)
    return path


def test_validate_writes_the_tables_of_the_library(simulated_file, tmp_path):
    from analysis.validity import measurement_model

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(simulated_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{t}.csv" for t in (*TABLES, "reliability"))
    rs = read_responses(simulated_file, load("lab-culture"))
    model = measurement_model(rs)
    for name in ("cfa_fit", "cfa_loadings", "htmt", "dimensionality"):
        got = pd.read_csv(out / f"{name}.csv")
        want = model.tables[name]
        numeric = [c for c in want.columns if want[c].dtype.kind == "f"]
        assert got[numeric].to_numpy(dtype=float) == pytest.approx(
            want[numeric].to_numpy(dtype=float), rel=1e-12, nan_ok=True), name
    latent = pd.read_csv(out / "latent_means.csv", keep_default_na=False)
    assert latent.set_index("construct").loc["build_vs_buy", "freed_intercepts"] == "bb5"
    reliability = pd.read_csv(out / "reliability.csv")
    assert reliability["ordinal_alpha"].notna().all()
    assert "note: simulated data" in result.output
    assert re.search(r"parallel analysis \(seed 20240611\): \d+ factors", result.output)
    assert "partial invariance: build_vs_buy (china vs united_states) with bb5 freed" \
        in result.output
    assert "latent means: build_vs_buy" not in result.output
    assert re.search(r"HTMT: largest 0\.\d\d \(\w+, \w+\); 0 pairs above \.85\n", result.output)
    assert "full CFA (robust ML, n = " in result.output


def test_validate_with_too_few_respondents_says_why(tmp_path):
    rs = _small(10)
    path = tmp_path / "few.csv"
    rs.data.to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["validate", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "note: too few respondents for the full factor model" in result.output
    assert pd.read_csv(tmp_path / "out" / "cfa_fit.csv").empty
    latent = pd.read_csv(tmp_path / "out" / "latent_means.csv")
    assert (latent["status"] == "not tested").all()
    assert "latent means: self_promotion: not tested" in result.output


def test_validate_notes_a_partial_model_that_cannot_be_fitted(simulated_file, tmp_path,
                                                              monkeypatch):
    """A singular partial-invariance model is a note and empty tables in survey validate,
    as in the report, never a traceback."""
    import numpy as np

    import analysis.invariance

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(analysis.invariance, "partial_invariance", singular)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(simulated_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "note: partial invariance not computed: Singular matrix" in result.output
    assert pd.read_csv(out / "latent_means.csv").empty
    assert pd.read_csv(out / "partial_invariance.csv").empty
    assert not pd.read_csv(out / "cfa_fit.csv").empty


def test_validate_seed_changes_only_the_random_part(simulated_file, tmp_path):
    runner = CliRunner()
    for seed, out in (("1", "a"), ("2", "b")):
        result = runner.invoke(cli, ["validate", str(simulated_file), "--seed", seed, "-o",
                                     str(tmp_path / out)])
        assert result.exit_code == 0, result.output
    a = pd.read_csv(tmp_path / "a" / "dimensionality.csv")
    b = pd.read_csv(tmp_path / "b" / "dimensionality.csv")
    assert (a["seed"] == 1).all() and (b["seed"] == 2).all()
    assert a["component_eigenvalue"].equals(b["component_eigenvalue"])
    assert not a["component_random_q95"].equals(b["component_random_q95"])
    assert (tmp_path / "a" / "cfa_fit.csv").read_bytes() == \
        (tmp_path / "b" / "cfa_fit.csv").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--by", "sp1"], "'sp1' is not a grouping question; grouping questions: lab_region"),
    (["--by", "lab_regoin"], "did you mean 'lab_region'?"),
    (["--seed", "-1"], "--seed"),
])
def test_validate_usage_errors_are_one_line(simulated_file, tmp_path, args, message):
    result = CliRunner().invoke(cli, ["validate", str(simulated_file), *args, "-o",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_validate_refuses_a_file_as_output_folder(simulated_file, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    result = CliRunner().invoke(cli, ["validate", str(simulated_file), "-o", str(target)])
    assert result.exit_code == 2 and "is a file" in result.output
    assert target.read_text() == "x"


def test_too_few_respondents_in_chinese():
    files = build_report(_small(10), lang="zh")
    section = _section(unescape(files["report.html"].decode()))
    assert "受访者过少，无法拟合完整因子模型：作答全部题目者" in section
    assert "124 个自由参数" in section
    assert "未比较潜在均值：完整作答者达到 100 人的组少于两个" in section


def test_validate_by_full_information_ml(simulated_file, tmp_path):
    out = tmp_path / "fiml"
    result = CliRunner().invoke(cli, ["validate", str(simulated_file), "--missing", "fiml",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    fit = pd.read_csv(out / "cfa_fit.csv")
    frame = pd.read_csv(simulated_file)
    items = [i for c in load("lab-culture").constructs for i in c.item_ids]
    assert fit["missing"].tolist() == ["fiml"] and fit["estimator"].tolist() == ["ML"]
    assert fit["n"].iloc[0] == int(frame[items].notna().any(axis=1).sum())
    assert fit["npar"].iloc[0] == 124 + 48                       # with the intercepts
    assert pd.read_csv(out / "modification_indices.csv").empty
    assert "full CFA (full-information ML, n = " in result.output


@pytest.mark.slow
def test_report_points_to_full_information_ml(ref_report):
    html = unescape(ref_report["report.html"].decode())
    hint = html.split('id="fiml-hint">', 1)[1].split("</p>", 1)[0]
    assert "Only 228 of the 585 respondents answered every item" in hint
    assert "<code>survey validate --missing fiml</code>" in hint
