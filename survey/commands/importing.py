"""``survey import``: read a platform's response export, validate it, write it clean."""

from __future__ import annotations

from collections import Counter

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

_EPILOG = """\b
Row policies (each rejected row is counted with its row number and reason):
  empty row                       reject the row
  respondent_id empty             reject the row
  respondent_id repeated          reject the later rows, keep the first
  answer out of range, not a      blank the cell, warn (the rest of the row is kept)
  number, or an unknown label
  group answer not a choice       blank the cell, warn
  attention check failed          keep and flag   (--reject-failed-checks: reject)
  unfinished response             keep and flag   (--reject-unfinished: reject)
  faster than --min-duration      keep and flag   (--reject-speeders: reject)
  column not in the instrument    keep in metadata, warn
  item column missing             refuse the file (exit 2)

\b
Answers may be codes or labels in any of the instrument's languages ("4", "Agree",
"同意"). Encodings: UTF-8 with or without BOM, UTF-16, GB18030/GBK; delimiters , ; tab;
.xlsx and old .xls workbooks. Title rows above the header are skipped. The source file is
never changed. Personal data a platform adds (Wenjuanxing's 来自IP, a respondent name)
is left out of every output unless --keep-personal-data is given.

\b
Exit codes: 0 imported; 1 imported but rows were rejected and --strict was given;
2 the file cannot be used (one line: file, row, column, what is wrong).
"""


@click.command(cls=OneLineCommand, epilog=_EPILOG)
@click.argument("responses")
@instrument_option
@reading_options
@click.option("-o", "--output", default=None,
              help="Write the clean data: .csv, .xlsx, .parquet, .sav or .dta (SPSS/Stata "
                   "with variable and value labels).")
@click.option("--rejected", "rejected_path", default=None,
              help="Write the rejected rows as they were in the file, with a reason column "
                   "(.csv or .xlsx).")
@click.option("--log", "log_path", default=None,
              help="Write every import record (row, column, value, reason, action, "
                   "message) as .csv or .xlsx.")
@click.option("--strict", is_flag=True,
              help="Exit with code 1 when any row was rejected.")
@click.option("--keep-personal-data", "keep_personal", is_flag=True,
              help="Keep the personal data a platform adds (Wenjuanxing 来自IP, a "
                   "respondent name): in -o (.csv, .xlsx, .parquet) after the instrument's "
                   "columns, and in --rejected. Left out by default.")
def import_(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    output: str | None,
    rejected_path: str | None,
    log_path: str | None,
    strict: bool,
    keep_personal: bool,
) -> None:
    """Import RESPONSES exported by a survey platform and validate them.

    Prints which platform was recognised and how many rows were read, accepted and
    rejected (with the most common reasons).
    """
    from pathlib import Path

    from survey.errors import SurveyError
    from survey.responses.writers import SUFFIXES, log_table, write_frame, write_responses
    from survey.wording import count

    if output is not None and Path(output).suffix.lower() not in SUFFIXES:
        raise SurveyError("-o: the output name must end in " + ", ".join(SUFFIXES),
                          file=output)
    if keep_personal and output is not None and Path(output).suffix.lower() in (".sav", ".dta"):
        raise SurveyError("--keep-personal-data writes the personal columns to .csv, .xlsx "
                          "or .parquet; SPSS and Stata outputs hold the instrument's "
                          "variables only", file=output)
    for flag, out in (("--rejected", rejected_path), ("--log", log_path)):
        if out is not None and Path(out).suffix.lower() not in (".csv", ".xlsx"):
            raise SurveyError(f"{flag} writes .csv or .xlsx; end the name in one of them",
                              file=out)
    inst = load_instrument(instrument)
    check_outputs(
        (("-o", output), ("--rejected", rejected_path), ("--log", log_path)),
        (responses, *reading.inputs, inst.source),
    )
    rs = reading.read(responses, inst, keep_personal=keep_personal)
    log = rs.log
    click.echo(f"{responses}: platform {log.platform}"
               + ("" if reading.platform != "auto" else " (recognised from the header)"))
    details = [n for n in log.notes if not n.startswith("platform:")]
    if details:
        click.echo("  " + "; ".join(details))
    click.echo(f"rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}")
    if log.rows_rejected:
        top = Counter(log.rejected.values()).most_common(3)
        click.echo("  rejected: " + ", ".join(f"{r} {n}" for r, n in top))
    for action in ("blanked", "flagged", "warning"):
        recs = [r for r in log.records if r.action == action]
        if recs:
            top = Counter(r.reason for r in recs).most_common(3)
            click.echo(f"  {action}: {len(recs)} (" + ", ".join(f"{r} {n}" for r, n in top)
                       + ")")
    if output is not None:
        if log.personal_kept:
            from survey.responses.model import ResponseSet

            extra = rs.meta[log.personal].reset_index(drop=True)
            rs = ResponseSet(data=rs.data.join(extra), instrument=rs.instrument, log=log,
                             meta=rs.meta)
        p = write_output(output, write_responses(rs, output))
        click.echo(f"wrote {p} ({count(rs.n, 'respondent')})")
    if rejected_path is not None:
        table = log.rejected_rows
        p = write_output(rejected_path, write_frame(table, rejected_path, sheet="rejected"))
        click.echo(f"wrote {p} ({count(len(table), 'rejected row')})")
    if log_path is not None:
        p = write_output(log_path, write_frame(log_table(log), log_path, sheet="log"))
        click.echo(f"wrote {p} ({count(len(log.records), 'record')})")
    if strict and log.rows_rejected:
        raise SystemExit(1)
