"""Excel entry template: type or pick the answers of paper forms, then ``survey import`` it.

Three sheets, in this order (the importer reads the first sheet with data):

``responses``
    One header row of variable names, ``instrument.columns`` in order (``respondent_id``,
    the grouping questions, the items, the attention checks), and nothing else: one
    respondent per row below it. The header is frozen (with the ``respondent_id`` column)
    and each header cell carries the question text as a comment, in every language of the
    file. Each item and attention-check column has a drop-down (data validation, list)
    limited to the scale's points; each choice question's column one limited to its choice
    codes; selecting a cell shows the codes with their labels. Blank is allowed everywhere
    (a missing answer is a blank cell); anything else is refused by Excel with a message
    listing the valid codes. ``respondent_id`` and free-text
    columns are formatted as text, so ``007`` stays ``007``.
``codebook``
    One row per variable: ``variable``, ``type`` (id, choice, text, item, check), a
    ``label (<lang>)`` column per language, ``values`` (``code = label`` pairs, languages
    joined by `` / ``), ``keying`` (forward/reverse; the expected answer for a check),
    ``construct``.
``instructions``
    How to enter data: one row per respondent, codes not labels, blank for missing,
    do not edit the header, how to import.

With ``lang`` set, comments, codebook labels and instructions are in that language only.
Text cells starting with ``= + - @`` are prefixed with ``'`` (:func:`survey.outputs.
neutralise`). The bytes depend only on the instrument (:func:`survey.outputs.workbook_bytes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec
from survey.forms.codebook import choice_values, scale_values

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping

    from survey.instrument import Instrument

__all__ = ["FORMAT", "SHEETS", "write"]

FORMAT = FormSpec(
    name="xlsx",
    suffix=".xlsx",
    label="Excel entry template with drop-downs, codebook and instructions",
    multilingual=True,
)

#: Sheet names in workbook order.
SHEETS = ("responses", "codebook", "instructions")

#: Excel refuses a literal list longer than this in a data validation formula.
_MAX_LIST = 255
#: Rows covered by the drop-downs (Excel's last row).
_LAST_ROW = 1048576

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "respondent_id": "Respondent identifier: unique text, one per respondent (required).",
        "choice": "Choose a code",
        "text": "Free text",
        "required": "required",
        "construct": "Construct",
        "reverse": "reverse-keyed",
        "check": "Attention check: a careful respondent answers {expect}",
        "title": "How to enter data",
        "s1": "Enter one respondent per row on the 'responses' sheet, starting in row 2. Do "
              "not change, move or delete the header row (row 1): the import finds the "
              "columns by these names.",
        "s2": "respondent_id: a unique id for each respondent, for example the number written "
              "on the paper form. Every row needs one; two rows with the same id are refused.",
        "s3": "Questions with a drop-down: pick or type the code, not the label. The valid codes "
              "and their meanings are on the 'codebook' sheet; hover over a column name to see "
              "the question.",
        "s4": "Statements and attention checks: type the number of the box ticked: {scales}.",
        "s5": "Free-text columns ({columns}): type the answer as written.",
        "s6": "Missing answer (nothing ticked, two boxes ticked, unreadable): leave the cell "
              "blank. Do not type 0, -, NA, a space or a guess.",
        "s7": "Save as .xlsx and import with: survey import FILE.xlsx -i {id} -o clean.csv",
        "none": "none",
        "translation": "Translation ({lang}): {note}",
    },
    "zh": {
        "respondent_id": "受访者编号：每位受访者一个、互不相同的文本（必填）。",
        "choice": "请选择代码",
        "text": "自由文本",
        "required": "必答",
        "construct": "维度",
        "reverse": "反向计分",
        "check": "注意力检测题：认真作答者会选 {expect}",
        "title": "数据录入说明",
        "s1": "在“responses”工作表中每行录入一位受访者，从第 2 行开始。请勿修改、移动或删除"
              "标题行（第 1 行）：导入时按这些列名识别各列。",
        "s2": "respondent_id：每位受访者唯一的编号，例如纸质问卷上写的编号。每行都必须有；"
              "编号重复的行会被拒绝。",
        "s3": "有下拉列表的问题：选择或输入代码，而不是选项文字。有效代码及其含义见“codebook”"
              "工作表；将鼠标悬停在列名上可查看题目。",
        "s4": "陈述题和注意力检测题：输入所勾选方框的数字：{scales}。",
        "s5": "自由文本列（{columns}）：按原文录入。",
        "s6": "缺失答案（未勾选、勾选了两个、无法辨认）：单元格留空。"
              "不要填 0、-、NA、空格或猜测值。",
        "s7": "保存为 .xlsx，并用以下命令导入：survey import FILE.xlsx -i {id} -o clean.csv",
        "none": "无",
        "translation": "翻译说明（{lang}）：{note}",
    },
}


def _words(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def _list_formula(values: list[str], column: str) -> str:
    """A literal list for a data validation, ``"a,b,c"``; ExportError when too long."""
    for v in values:
        if "," in v or '"' in v:
            raise ExportError(
                f"code '{v}' of column '{column}' holds a comma or quote, which an Excel "
                "drop-down cannot list; change the code in the instrument"
            )
    body = ",".join(values)
    if len(body) > _MAX_LIST:
        raise ExportError(
            f"the codes of column '{column}' take {len(body)} characters; an Excel drop-down "
            f"lists at most {_MAX_LIST}; use shorter codes in the instrument"
        )
    return f'"{body}"'


def _prompt(codes: list[str], meanings: dict[str, list[str]]) -> str:
    """The hint Excel shows on a selected cell: codes and labels, within 255 characters.

    Every language when they fit, else the first language, else the codes alone.
    """
    langs = list(meanings)
    for use in (langs, langs[:1]):
        text = "; ".join(
            f"{c} = " + " / ".join(meanings[x][k] for x in use) for k, c in enumerate(codes)
        )
        if len(text) <= _MAX_LIST:
            return text
    return ", ".join(codes)[:_MAX_LIST]


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the entry template workbook.

    Parameters
    ----------
    instrument : Instrument
        The instrument whose answers are entered.
    lang : str, optional
        Give question texts, labels and instructions in this language only (default:
        every language of the instrument).

    Returns
    -------
    bytes
        An .xlsx file.

    Raises
    ------
    ExportError
        When a drop-down cannot list a column's codes (a code with a comma or quote, or
        more than 255 characters of codes).

    Examples
    --------
    >>> import io, openpyxl
    >>> from survey.instrument import load
    >>> wb = openpyxl.load_workbook(io.BytesIO(write(load("lab-culture"))))
    >>> wb.sheetnames, wb["responses"]["A1"].value, wb["responses"].freeze_panes
    (['responses', 'codebook', 'instructions'], 'respondent_id', 'B2')
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from survey.outputs import neutralise, workbook_bytes

    langs = (lang,) if lang else tuple(instrument.languages)
    words = {x: _words(x) for x in langs}
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")

    def multi(mapping: Mapping[str, str], sep: str = "\n") -> str:
        return sep.join(mapping[x] for x in langs)

    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[0]
    groups = {g.id: g for g in instrument.groups}
    checks = {c.id: c for c in instrument.checks}
    items = {i.id: i for i in instrument.items}
    constructs = {c.id: c for c in instrument.constructs}

    for j, var in enumerate(instrument.columns, start=1):
        letter = get_column_letter(j)
        cell = ws.cell(row=1, column=j, value=var)
        cell.font = bold
        cell.fill = head_fill
        sqref = f"{letter}2:{letter}{_LAST_ROW}"
        codes: list[str] = []
        meanings: dict[str, list[str]] = {}  # language -> label of each code
        width = max(len(var) + 3, 8)
        if var == "respondent_id":
            note = "\n".join(words[x]["respondent_id"] for x in langs)
            width = 16
            ws.column_dimensions[letter].number_format = "@"
        elif var in groups:
            g = groups[var]
            req = f" ({' / '.join(words[x]['required'] for x in langs)})" if g.required else ""
            note = multi(g.text) + req
            if g.type == "choice":
                codes = list(g.codes)
                meanings = {x: [c.label[x] for c in g.choices] for x in langs}
                note += "\n" + "\n".join(
                    f"{c.code} = {' / '.join(c.label[x] for x in langs)}" for c in g.choices
                )
                width = max(width, max(len(c) for c in codes) + 4)
            else:
                ws.column_dimensions[letter].number_format = "@"
                width = max(width, 14)
        else:
            scale = instrument.scale_of(var)
            codes = [str(p) for p in scale.points]
            meanings = {x: list(scale.labels[x]) for x in langs}
            if var in items:
                it = items[var]
                construct = constructs[it.construct]
                tail = f" ({' / '.join(words[x]['reverse'] for x in langs)})" if it.reverse else ""
                note = multi(it.text) + f"\n[{construct.id}{tail}]"
            else:
                chk = checks[var]
                note = multi(chk.text) + "\n[" + " / ".join(
                    words[x]["check"].format(expect=chk.expect) for x in langs) + "]"
        ws.column_dimensions[letter].width = width
        comment = Comment(f"{var}\n{note}", "lab-culture-survey")
        comment.width = 260
        comment.height = 40 + 18 * (note.count("\n") + 2) + 8 * (len(note) // 40)
        cell.comment = comment
        if codes:
            dv = DataValidation(
                type="list",
                formula1=_list_formula(codes, var),
                allow_blank=True,
                showDropDown=False,  # False shows the in-cell arrow (OOXML's inverted flag)
                showErrorMessage=True,
                showInputMessage=True,
                promptTitle=var[:32],
                prompt=_prompt(codes, meanings),
                errorStyle="stop",
                errorTitle="Not a valid code"[:32],
                error=(f"{var}: enter one of {', '.join(codes)}, or leave the cell blank")[:255],
            )
            dv.add(sqref)
            ws.add_data_validation(dv)
    ws.freeze_panes = "B2"

    # ---- codebook ---------------------------------------------------------------------
    cb = wb.create_sheet(SHEETS[1])
    header = ["variable", "type", *(f"label ({x})" for x in langs), "values", "keying",
              "construct"]
    cb.append(header)
    for cell in cb[1]:
        cell.font = bold
        cell.fill = head_fill

    def values_of(scale_id: str) -> str:
        return scale_values(instrument.scales[scale_id], langs)

    rows: list[list[object]] = [
        ["respondent_id", "id", *(words[x]["respondent_id"] for x in langs), "", "", ""]
    ]
    for g in instrument.groups:
        if g.type == "choice":
            values = choice_values(g, langs)
        else:
            values = " / ".join(words[x]["text"] for x in langs)
        rows.append([g.id, g.type, *(g.text[x] for x in langs), values, "", ""])
    for c in instrument.constructs:
        for it in c.items:
            rows.append([it.id, "item", *(it.text[x] for x in langs), values_of(it.scale),
                         "reverse" if it.reverse else "forward", c.id])
    for chk in instrument.checks:
        rows.append([chk.id, "check", *(chk.text[x] for x in langs), values_of(chk.scale),
                     f"expect {chk.expect}", ""])
    for row in rows:
        cb.append([neutralise(v) for v in row])
    widths = [16, 8, *([60] * len(langs)), 70, 12, 18]
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, w in enumerate(widths, start=1):
        cb.column_dimensions[get_column_letter(j)].width = w
    for row in cb.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    cb.freeze_panes = "B2"

    # ---- instructions -----------------------------------------------------------------
    ins = wb.create_sheet(SHEETS[2])
    ins.column_dimensions["A"].width = 110
    used = []
    for sid in [*(c.scale for c in instrument.constructs), *(c.scale for c in instrument.checks)]:
        if sid not in used:
            used.append(sid)
    text_cols = [g.id for g in instrument.groups if g.type == "text"]
    lines: list[tuple[str, bool]] = [
        (f"{multi(instrument.title, ' / ')} ({instrument.id} {instrument.version})", True)
    ]
    # how each translation was made, in the words of the first language shown
    lines += [(words[langs[0]]["translation"].format(lang=k, note=v), False)
              for k, v in instrument.translation.items()]
    for x in langs:
        w = words[x]
        scales = "; ".join(
            ", ".join(f"{p} = {instrument.scales[s].labels[x][k]}"
                      for k, p in enumerate(instrument.scales[s].points))
            for s in used
        )
        lines.append(("", False))
        lines.append((w["title"], True))
        lines.append((w["s1"], False))
        lines.append((w["s2"], False))
        lines.append((w["s3"], False))
        lines.append((w["s4"].format(scales=scales), False))
        lines.append((w["s5"].format(columns=", ".join(text_cols) or w["none"]), False))
        lines.append((w["s6"], False))
        lines.append((w["s7"].format(id=instrument.id), False))
    for k, (line, strong) in enumerate(lines, start=1):
        cell = ins.cell(row=k, column=1, value=neutralise(line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if strong:
            cell.font = bold
    return workbook_bytes(wb)
