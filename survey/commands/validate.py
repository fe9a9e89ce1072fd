"""``survey validate``: does the instrument measure what it claims? The measurement model."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands._common import (
    OneLineCommand,
    ReadingOptions,
    check_outputs,
    instrument_option,
    load_instrument,
    reading_options,
    write_output,
)
from survey.errors import SurveyError, did_you_mean
from survey.wording import count

#: Tables written to the output folder, in order.
TABLES = (
    "dimensionality", "cfa_fit", "cfa_loadings", "factor_correlations",
    "modification_indices", "validity", "htmt", "reliability", "partial_invariance",
    "latent_means",
)


@click.command(cls=OneLineCommand)
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("--by", default=None, metavar="COLUMN",
              help="Grouping question for partial invariance and latent means "
                   "[default: lab_region, else the first choice question].")
@click.option("--seed", type=click.IntRange(min=0), default=None, metavar="N",
              help="Seed of the parallel analysis' random data [default: 20240611].")
@click.option("--missing", type=click.Choice(("listwise", "fiml")), default="listwise",
              show_default=True,
              help="Full CFA on the respondents who answered every item (ML and robust ML, "
                   "as lavaan's default) or on everyone by full-information ML (ML only).")
@click.option("--min-group-n", type=click.IntRange(min=2), default=100, show_default=True,
              metavar="N",
              help="Complete respondents a group needs to enter the multi-group models.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Folder to write the tables to (created if needed).")
def validate(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    by: str | None,
    seed: int | None,
    missing: str,
    min_group_n: int,
    output: str,
) -> None:
    """Check the measurement model of RESPONSES and write its tables to DIR.

    \b
    DIR/dimensionality.csv       eigenvalues and parallel analysis (psych::fa.parallel)
                                 for all items and per construct
    DIR/cfa_fit.csv              the full CFA (every construct a correlated factor) by
                                 ML and robust ML (Satorra-Bentler): chi-square, CFI,
                                 TLI, RMSEA [90% CI], SRMR, robust versions (with
                                 --missing fiml: full-information ML on everyone)
    DIR/cfa_loadings.csv         standardised loadings with robust SEs
    DIR/factor_correlations.csv  factor correlations with robust SEs
    DIR/modification_indices.csv largest cross-loadings and residual covariances (hints)
    DIR/validity.csv             composite reliability, AVE, Fornell-Larcker
    DIR/htmt.csv                 HTMT2 per pair of constructs, flagged at .85 and .90
    DIR/reliability.csv          alpha, omega, ordinal alpha and omega (polychoric)
    DIR/partial_invariance.csv   intercepts released where scalar invariance fails
    DIR/latent_means.csv         latent mean differences beside the observed ones
    (CSV, unrounded)

    Too few respondents for a model is not an error: its tables are left empty and
    the reason is printed. The numbers agree with lavaan, semTools and psych (see
    tests/reference/validity.R).

    \b
    Example:
      survey validate sample_data/lab_culture_responses.xlsx -o validity
    """
    out_dir = Path(output)
    if out_dir.exists() and not out_dir.is_dir():
        raise SurveyError("is a file; give a folder for the tables", file=output)
    check_outputs([("-o", out_dir / f"{name}.csv") for name in TABLES],
                  [responses, *reading.inputs])

    from analysis.invariance import INVARIANCE_CRITERIA, measurement_invariance
    from analysis.reliability import assess_reliability
    from analysis.report.measurement import run_measurement
    from analysis.report.tables import default_by
    from analysis.validity import _single_thread
    from survey.outputs import csv_bytes

    inst = load_instrument(instrument)
    if by is None:
        by = default_by(inst)
    elif by not in inst.group_ids:
        raise SurveyError(
            f"'{by}' is not a grouping question; grouping questions: "
            f"{', '.join(inst.group_ids) or 'none'}." + did_you_mean(by, inst.group_ids))
    rs = reading.read(responses, inst)
    with _single_thread():
        summary = measurement_invariance(
            rs, by, **{**INVARIANCE_CRITERIA, "min_group_n": min_group_n}).summary
    # the report's chain: a partial model that cannot be fitted becomes a note, as there
    tables, model = run_measurement(rs, by, None, summary, seed=seed, missing=missing,
                                    min_group_n=min_group_n)
    tables["reliability"] = assess_reliability(rs, by=by)
    for name in TABLES:
        write_output(out_dir / f"{name}.csv", csv_bytes(tables[name]))

    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    click.echo(f"{responses}: {rs.n} respondents, {len(inst.item_ids)} items, "
               f"{len(inst.constructs)} constructs")
    log = rs.log
    if log.rows_rejected:
        click.echo(f"note: rows read {log.rows_read}, accepted {log.rows_accepted}, rejected "
                   f"{log.rows_rejected} (survey import --rejected FILE shows why)")
    for note in model.notes:
        click.echo(f"note: {note}")
    dim = tables["dimensionality"]
    whole = dim[dim["scope"] == "all"]
    if len(whole) and not _missing(whole.iloc[0]["factors_suggested"]):
        w = whole.iloc[0]
        click.echo(f"parallel analysis (seed {int(w['seed'])}): {int(w['factors_suggested'])} "
                   f"factors, {int(w['components_suggested'])} components "
                   f"({int(w['expected'])} constructs)")
    fit = tables["cfa_fit"]
    if len(fit):
        r = fit.iloc[-1]
        if r["estimator"] == "MLM" and not _missing(r["cfi_robust"]):
            click.echo(f"full CFA (robust ML, n = {int(r['n'])}): scaled chi2({int(r['df'])})"
                       f" = {r['chisq_scaled']:.2f}, CFI {r['cfi_robust']:.3f}, TLI "
                       f"{r['tli_robust']:.3f}, RMSEA {r['rmsea_robust']:.3f} "
                       f"[{r['rmsea_robust_ci_low']:.3f}, {r['rmsea_robust_ci_high']:.3f}], "
                       f"SRMR {r['srmr']:.3f}")
        else:
            how = "full-information ML" if r["missing"] == "fiml" else "ML"
            click.echo(f"full CFA ({how}, n = {int(r['n'])}): chi2({int(r['df'])}) = "
                       f"{r['chisq']:.2f}, CFI {r['cfi']:.3f}, TLI {r['tli']:.3f}, RMSEA "
                       f"{r['rmsea']:.3f} [{r['rmsea_ci_low']:.3f}, {r['rmsea_ci_high']:.3f}],"
                       f" SRMR {r['srmr']:.3f}")
    ht = tables["htmt"]
    if len(ht):
        top = ht.loc[ht["htmt"].idxmax()]
        flagged = int(ht["above_085"].sum())
        click.echo(f"HTMT: largest {top['htmt']:.2f} ({top['construct_a']}, "
                   f"{top['construct_b']}); {count(flagged, 'pair')} above .85")
    for r in tables["latent_means"].itertuples(index=False):
        if r.freed_intercepts:
            click.echo(f"partial invariance: {r.construct} ({r.reference} vs {r.group}) with "
                       f"{r.freed_intercepts} freed; latent difference {r.latent_diff:.2f} "
                       f"SD (p = {r.p:.3g})")
        elif r.status not in ("ok",):
            pair = f" ({r.reference} vs {r.group})" if r.reference and r.group else ""
            click.echo(f"latent means: {r.construct}{pair}: {r.status}"
                       + (f" ({r.note})" if r.note else ""))
    click.echo(f"wrote {len(TABLES)} tables to {out_dir}")


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))
