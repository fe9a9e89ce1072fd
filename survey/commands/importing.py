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
  row with more or fewer cells    reject the row (text files: its answers would
  than the header                 land in the wrong columns)
  row repeating the header        reject the row
  required group answer missing   keep and flag   (--reject-missing-groups: reject)
  attention check failed          keep and flag   (--reject-failed-checks: reject)
  unfinished response             keep and flag   (--reject-unfinished: reject)
  faster than --min-duration      keep and flag   (--reject-speeders: reject)
  column not in the instrument    keep in metadata, warn
  item column missing             refuse the file (exit 2)

\b
Answers may be codes or labels in any of the instrument's languages ("4", "Agree",
"同意"). Encodings, decided from the bytes: UTF-8 with or without BOM, UTF-16,
GB18030/GBK, Windows-1252 (--encoding names another); delimiters , ; tab; .xlsx and old
.xls workbooks: the visible sheet whose header names the instrument's variables (--sheet
names another). Title rows above the header are skipped. A file whose name starts with -
goes after --: survey import -- -resp.csv. The source file is never changed. Personal
data a platform adds (Wenjuanxing's 来自IP, a respondent name) is left out of every
output unless --keep-personal-data is given.

\b
Exit codes: 0 imported; 1 imported but rows were rejected and --strict was given;
2 the file cannot be used (one line: file, row, column, what is wrong).
"""


@click.command(cls=OneLineCommand, epilog=_EPILOG)
@click.argument("responses", nargs=-1, required=True)
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
@click.option("--verbatim-text", is_flag=True,
              help="Write text starting with = + - @ to .csv outputs as read; by default it "
                   "gets a leading ' so that a spreadsheet does not run it as a formula "
                   "(.xlsx outputs keep text as read, in text cells).")
@click.option("--strict", is_flag=True,
              help="Exit with code 1 when any row was rejected.")
@click.option("--keep-personal-data", "keep_personal", is_flag=True,
              help="Keep the personal data a platform adds (Wenjuanxing 来自IP, a "
                   "respondent name): in -o (.csv, .xlsx, .parquet) after the instrument's "
                   "columns, and in --rejected. Left out by default.")
def import_(
    responses: tuple[str, ...],
    instrument: str | None,
    reading: ReadingOptions,
    output: str | None,
    rejected_path: str | None,
    log_path: str | None,
    verbatim_text: bool,
    strict: bool,
    keep_personal: bool,
) -> None:
    """Import RESPONSES exported by a survey platform and validate them.

    RESPONSES is one file, or several: files, a folder or a pattern (answers/*.csv, as
    the HTML form downloads one file per respondent). Several files must share one
    layout and instrument; they are merged, and the log names each record's file.
    Prints which platform was recognised and how many rows were read, accepted and
    rejected (with the most common reasons).
    """
    from pathlib import Path

    from survey.errors import SurveyError
    from survey.responses import response_files
    from survey.responses.writers import (
        SUFFIXES,
        formula_cells,
        log_table,
        write_frame,
        write_responses,
    )
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
    source = responses[0] if len(responses) == 1 else list(responses)
    files = response_files(source)
    check_outputs(
        (("-o", output), ("--rejected", rejected_path), ("--log", log_path)),
        (*files, *reading.inputs, inst.source),
    )
    rs = reading.read(source, inst, keep_personal=keep_personal)
    log = rs.log
    many = f", {len(log.files)} files" if log.files else ""
    click.echo(f"{log.file}{many}: platform {log.platform}"
               + ("" if reading.platform != "auto" else " (recognised from the header)"))
    details = [n for n in log.notes if not n.startswith(("platform:", "files:"))]
    if len(details) > 6:
        details = [*details[:6], f"... {len(details) - 6} more notes (--log keeps them)"]
    if details:
        click.echo("  " + "; ".join(details))
    click.echo(f"rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}")
    if log.files:
        spoiled = [(f, n, r) for f, n, _, r in log.per_file() if r]
        for f, n, r in spoiled[:5]:
            click.echo(f"  {f}: rows read {n}, rejected {r}")
        if len(spoiled) > 5:
            click.echo(f"  ... {len(spoiled) - 5} more files with rejected rows "
                       "(--rejected lists them)")
    if log.rows_rejected:
        top = Counter(log.rejected.values()).most_common(3)
        click.echo("  rejected: " + ", ".join(f"{r} {n}" for r, n in top))
    for action in ("blanked", "flagged", "warning"):
        recs = [r for r in log.records if r.action == action]
        if recs:
            top = Counter(r.reason for r in recs).most_common(3)
            click.echo(f"  {action}: {len(recs)} ("
                       + ", ".join(f"{r} {n}{_top_values(recs, r)}" for r, n in top) + ")")
    for rec in log.records:
        if rec.reason == "similar_codes":
            click.echo(f"  warning: {rec.message}")

    def neutralised(path: str, frame) -> None:
        if verbatim_text or Path(path).suffix.lower() != ".csv":
            return
        n = formula_cells(frame)
        if n:
            note = (f"{count(n, 'text cell')} starting with = + - @ written with a leading ' "
                    f"in {path} (--verbatim-text writes text as read)")
            log.notes.append(note)
            click.echo("  " + note)

    if output is not None:
        if log.personal_kept:
            from survey.responses.model import ResponseSet

            extra = rs.meta[log.personal].reset_index(drop=True)
            rs = ResponseSet(data=rs.data.join(extra), instrument=rs.instrument, log=log,
                             meta=rs.meta)
        p = write_output(output, write_responses(rs, output, verbatim=verbatim_text))
        click.echo(f"wrote {p} ({count(rs.n, 'respondent')})")
        neutralised(output, rs.data)
    if rejected_path is not None:
        table = log.rejected_rows
        p = write_output(rejected_path, write_frame(table, rejected_path, sheet="rejected",
                                                    verbatim=verbatim_text))
        click.echo(f"wrote {p} ({count(len(table), 'rejected row')})")
        neutralised(rejected_path, table)
    if log_path is not None:
        table = log_table(log)
        p = write_output(log_path, write_frame(table, log_path, sheet="log",
                                               verbatim=verbatim_text))
        click.echo(f"wrote {p} ({count(len(log.records), 'record')})")
        neutralised(log_path, table)
    if strict and log.rows_rejected:
        raise SystemExit(1)


#: Reasons whose values the summary names: what the file holds that the instrument lacks.
_NAMED_VALUES = ("unknown_choice", "unknown_label")


def _top_values(records: list, reason: str, limit: int = 3) -> str:
    """`` (lab_region: 'USA' 214, 'Cn' 3)``: the commonest values behind an unknown_*
    reason, per column, so a systematic mistake is seen without opening the log."""
    if reason not in _NAMED_VALUES:
        return ""
    by_column: dict[str, Counter] = {}
    for r in records:
        if r.reason == reason:
            by_column.setdefault(r.column or "?", Counter())[r.value] += 1
    parts = []
    for column, counts in sorted(by_column.items(), key=lambda kv: -sum(kv[1].values()))[:3]:
        shown = ", ".join(f"{_short(v)} {n}" for v, n in counts.most_common(limit))
        more = len(counts) - limit
        parts.append(f"{column}: {shown}" + (f", {more} more" if more > 0 else ""))
    return " (" + "; ".join(parts) + ")"


def _short(value: object, limit: int = 30) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")
