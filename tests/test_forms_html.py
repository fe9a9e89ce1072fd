"""The HTML questionnaire: structure of the page, and a real browser filling it in.

Structural tests parse the page with the standard library's HTML parser and do not depend
on the golden file. The browser tests (marked ``browser``) open the exported file from a
``file://`` URL in Debian's chromium driven by Playwright (see tests/browser.py), switch
the language, answer every question, download the CSV and read it back with pandas and
with ``survey.responses.read_responses``.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from survey.forms import export, html
from survey.instrument import load, loads

LAB_CULTURE = load("lab-culture")


class Page(HTMLParser):
    """Elements of a page as (tag, attrs) in document order, plus the config JSON."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._in: list[str] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "script":
            self._script = a
            self._buf = []

    def handle_data(self, data):
        if self._script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements
                if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def config(self) -> dict:
        (body,) = [s for a, s in self.scripts if a.get("id") == "survey-config"]
        return json.loads(body)


@pytest.fixture(scope="module")
def text() -> str:
    return html.write(LAB_CULTURE, None).decode("utf-8")


@pytest.fixture(scope="module")
def page(text) -> Page:
    return Page(text)


# ---- structure ------------------------------------------------------------------------

def test_format_is_registered_and_multilingual():
    assert html.FORMAT.name == "html" and html.FORMAT.suffix == ".html"
    assert html.FORMAT.multilingual is True
    assert export(LAB_CULTURE, "html") == html.write(LAB_CULTURE, None)


def test_every_item_and_check_is_one_row_of_radios_with_the_scale_codes(page):
    radios = page.find("input", type="radio")
    names = [a["name"] for a in radios]
    answered = [*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids]
    # page order: items construct by construct, attn1 right after the 4th construct (ow6)
    shown = [*LAB_CULTURE.item_ids[:24], "attn1", *LAB_CULTURE.item_ids[24:]]
    assert sorted(shown) == sorted(answered)
    assert list(dict.fromkeys(names)) == shown
    assert len(names) == 5 * len(answered)
    for var in answered:
        values = [a["value"] for a in radios if a["name"] == var]
        assert values == ["1", "2", "3", "4", "5"], var
    rows = page.find("tr")
    assert [a["data-var"] for a in rows if "data-var" in a] == shown


def test_item_texts_appear_once_in_each_language(text):
    for item in LAB_CULTURE.items:
        for lang in ("en", "zh"):
            span = f'<span class="l" lang="{lang}">{escape(item.text[lang])}</span>'
            assert text.count(span) == 1, (item.id, lang)
    assert text.count('<span class="l" lang="zh">非常同意</span>') == 8  # one header per part


def test_scale_columns_show_code_and_label_in_both_languages(text):
    scale = LAB_CULTURE.scales["agree5"]
    for k, p in enumerate(scale.points):
        head = (f'<span class="code">{p}</span> <span class="l" lang="en">'
                f'{escape(scale.labels["en"][k])}</span><span class="l" lang="zh">'
                f'{escape(scale.labels["zh"][k])}</span>')
        assert text.count(head) == 8


def test_grouping_questions_are_selects_with_the_choice_codes_and_text_inputs(page):
    for g in LAB_CULTURE.groups:
        if g.type == "choice":
            (select,) = page.find("select", name=g.id)
            assert ("aria-required" in select) == g.required
            i = page.elements.index(("select", select))
            options = [a for t, a in page.elements[i + 1: i + 2 + len(g.choices)] if t == "option"]
            assert [o["value"] for o in options] == ["", *g.codes]
            assert [o["data-l-zh"] for o in options[1:]] == [c.label["zh"] for c in g.choices]
            assert [o["data-l-en"] for o in options[1:]] == [c.label["en"] for c in g.choices]
        else:
            (field,) = page.find("input", name=g.id)
            assert field["type"] == "text"
    assert page.find("input", name="respondent_id")[0]["type"] == "text"


def test_required_questions_are_marked_and_listed_for_the_download_check(page, text):
    required = [g.id for g in LAB_CULTURE.groups if g.required]
    assert required == ["lab_region", "lab_type", "lab"]
    cfg = page.config()
    assert cfg["required"] == required
    for g in LAB_CULTURE.groups:
        block = text.split(f'id="q-{g.id}"', 1)[1].split("</label>", 1)[0]
        assert ('class="req"' in block) == g.required, g.id


def test_config_gives_the_template_layout(page):
    cfg = page.config()
    assert cfg["columns"] == list(LAB_CULTURE.columns)
    assert cfg["text"] == ["respondent_id", "lab"]
    assert cfg["answers"] == [*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids]
    assert cfg["id"] == "lab-culture" and cfg["version"] == "1.0.0"
    assert cfg["langs"] == ["en", "zh"]


def test_self_contained_no_external_references(text, page):
    assert not page.find("link")
    assert not [a for t, a in page.elements if "src" in a or "href" in a]
    assert "url(" not in text and "@import" not in text
    assert "http://" not in text and "https://" not in text


def test_print_stylesheet_header_and_page_breaks(text, page):
    assert "@media print" in text
    assert re.search(r"section\.block \{ break-before: page; \}", text)
    assert text.count('<div class="running print-only">lab-culture &middot; 1.0.0</div>') == 8
    assert '<span class="instrument-id">lab-culture</span>' in text
    assert '<span class="instrument-version">1.0.0</span>' in text
    assert len(page.find("section", **{"data-construct": "self_promotion"})) == 1
    assert len([a for t, a in page.elements if t == "section" and "data-construct" in a]) == 8


def test_attention_check_sits_inside_the_middle_construct(text):
    # check_slots puts attn1 after open_weights, the 4th of 8 constructs
    block = text.split('data-construct="open_weights"', 1)[1].split("</section>", 1)[0]
    assert 'data-var="ow6"' in block and 'data-var="attn1"' in block
    assert block.index('data-var="ow6"') < block.index('data-var="attn1"')


def test_language_switch_and_default_language(page, text):
    assert [a["data-set-lang"] for a in page.find("button") if "data-set-lang" in a] == ["en", "zh"]
    assert '<html lang="en" data-lang="en">' in text
    assert 'html[data-lang="zh"] .l:not([lang="zh"]) { display: none; }' in text


def test_one_language_when_asked():
    text = html.write(LAB_CULTURE, "zh").decode("utf-8")
    page = Page(text)
    assert '<html lang="zh" data-lang="zh">' in text
    assert 'lang="en"' not in text
    assert not [a for a in page.find("button") if "data-set-lang" in a]
    assert "<title>AI实验室工作文化调查</title>" in text
    assert page.config()["langs"] == ["zh"]
    assert LAB_CULTURE.items[0].text["zh"] in text
    assert LAB_CULTURE.items[0].text["en"] not in text


def test_deterministic():
    assert html.write(LAB_CULTURE, None) == html.write(LAB_CULTURE, None)


HOSTILE = """\
id: hostile
version: "1"
languages: [en, de]
title: {en: "<script>alert('t')</script>", de: "T & T"}
scales:
  s3: {points: [-1, 0, 1], labels: {en: ["<b>no</b>", "so-so", "yes"], de: [nein, naja, ja]}}
  yn: {points: [0, 1], labels: {en: ["No", "Yes"], de: [Nein, Ja]}}
groups:
  - {id: region, text: {en: "Region \\"quoted\\"", de: Region}, choices: [{code: a, label: {en: "A</option><script>x()</script>", de: A}}]}
constructs:
  - id: c1
    name: {en: C, de: C}
    definition: {en: D, de: D}
    scale: s3
    items: [{id: i1, text: {en: "</script><img src=x onerror=alert(1)>", de: "Ä"}, reverse: false}]
checks:
  - {id: chk, text: {en: "Pick yes", de: "Ja"}, scale: yn, expect: 1}
"""


def test_instrument_text_is_escaped():
    text = html.write(loads(HOSTILE), None).decode("utf-8")
    assert "<script>alert" not in text and "<img" not in text and "<b>no</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in text
    assert "A&lt;/option&gt;&lt;script&gt;x()&lt;/script&gt;" in text
    # the JSON for the script escapes < > & ' so it cannot close the script element
    page = Page(text)
    assert page.config()["title"]["en"] == "<script>alert('t')</script>"
    assert text.count("</script>") == 2  # the config and the page script


def test_check_on_another_scale_gets_its_own_block_and_unknown_language_uses_english():
    inst = loads(HOSTILE)
    text = html.write(inst, None).decode("utf-8")
    page = Page(text)
    sections = [a for t, a in page.elements if t == "section" and "block" in a.get("class", "")]
    assert [a["class"] for a in sections] == ["block", "block continued"]
    assert [a["value"] for a in page.find("input", name="chk")] == ["0", "1"]
    assert [a["value"] for a in page.find("input", name="i1")] == ["-1", "0", "1"]
    assert '<span class="l" lang="de">Download answers (CSV)</span>' in text
    assert page.config()["text"] == ["respondent_id"]


# ---- in a browser -----------------------------------------------------------------------

def _answers() -> dict[str, str]:
    """One answer per column: every code of every scale and choice list gets used."""
    out = {"respondent_id": "R-0042"}
    for k, g in enumerate(LAB_CULTURE.groups):
        out[g.id] = "CN-03" if g.type == "text" else g.codes[k % len(g.codes)]
    for k, var in enumerate([*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids]):
        points = LAB_CULTURE.scale_of(var).points
        out[var] = str(points[k % len(points)])
    out["attn1"] = "4"
    return out


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory):
    """Open the page, check the required-answer guard, fill everything, download twice."""
    from browser import browser_page

    folder = tmp_path_factory.mktemp("html-form")
    path = folder / "lab-culture.html"
    path.write_bytes(html.write(LAB_CULTURE, None))
    answers = _answers()
    result: dict = {"answers": answers, "folder": folder}
    with browser_page() as run:
        page = run.page
        page.goto(path.as_uri())
        result["title_en"] = page.title()
        # 1. nothing filled: the guard lists the required questions; cancel -> no download
        dialogs: list[str] = []

        def dismiss(d):
            dialogs.append(d.message)
            d.dismiss()

        page.once("dialog", dismiss)
        page.click("#survey-download")
        page.wait_for_function("!document.getElementById('survey-missing').hidden")
        result["dialog"] = dialogs[0]
        result["missing_list"] = page.inner_text("#survey-missing ul")
        result["outlined"] = page.eval_on_selector_all(".is-missing", "els => els.map(e => e.id)")
        # 2. language switch
        page.click('[data-set-lang="zh"]')
        result["zh_item"] = page.inner_text("#t-sp1")
        result["zh_option"] = page.inner_text('select[name="lab_region"] option[value="china"]')
        result["zh_title"] = page.title()
        result["zh_html_lang"] = page.get_attribute("html", "lang")
        result["zh_download"] = page.inner_text("#survey-download")
        page.click('[data-set-lang="en"]')
        result["en_item"] = page.inner_text("#t-sp1")
        # 3. fill in every question
        page.fill("#respondent_id", answers["respondent_id"])
        for g in LAB_CULTURE.groups:
            if g.type == "text":
                page.fill(f"#{g.id}", answers[g.id])
            else:
                page.select_option(f"#{g.id}", answers[g.id])
        for var in [*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids]:
            page.check(f'input[name="{var}"][value="{answers[var]}"]')
        result["outlined_after"] = page.eval_on_selector_all(".is-missing", "els => els.length")
        with page.expect_download() as dl:
            page.click("#survey-download")
        download = dl.value
        result["filename"] = download.suggested_filename
        result["csv_path"] = folder / "answers.csv"
        download.save_as(result["csv_path"])
        result["status"] = page.inner_text("#survey-status")
        # print layout of the filled page
        page.emulate_media(media="print")
        result["print"] = page.evaluate("""() => {
            const css = (sel) => [...document.querySelectorAll(sel)].map(e => getComputedStyle(e));
            return {
                breaks: css("section.block").map(s => s.breakBefore),
                radios: [...new Set(css("input[type=radio]").map(s => s.display))],
                boxes: [...new Set(css("td .box").map(s => s.display))],
                selects: [...new Set(css("select").map(s => s.display))],
                lists: [...new Set(css("ul.choices").map(s => s.display))],
                buttons: [...new Set(css("button").map(s => s.display))],
                ticks: [...document.querySelectorAll("input:checked + .box")]
                    .map(b => getComputedStyle(b, "::after").content),
                chosen: [...document.querySelectorAll("li.chosen")].map(li => li.dataset.code),
            };
        }""")
        result["pdf_pages"] = page.pdf(format="A4").count(b"/Type /Page\n")
        page.emulate_media(media="screen")
        # 4. free text that a spreadsheet would run, with a quote and a comma
        page.fill("#lab", '=SUM(1,2) "x"')
        with page.expect_download() as dl2:
            page.click("#survey-download")
        result["hostile_csv"] = dl2.value.path().read_bytes()
        # 5. reload, leave everything blank, accept the warning: a file with blanks and an id
        page.reload()
        page.once("dialog", lambda d: d.accept())
        with page.expect_download() as dl3:
            page.click("#survey-download")
        result["blank_csv"] = dl3.value.path().read_bytes()
        result["generated_id"] = page.input_value("#respondent_id")
        result["blank_status"] = page.inner_text("#survey-status")
        # 5b. every statement but one answered: the count is singular
        page.reload()
        for var in [*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids][1:]:
            page.check(f'input[name="{var}"][value="{answers[var]}"]')
        page.once("dialog", lambda d: d.accept())
        with page.expect_download():
            page.click("#survey-download")
        result["one_blank_status"] = page.inner_text("#survey-status")
        # 6. hostile texts and negative codes: codes are never prefixed, free text is
        hostile = folder / "hostile.html"
        hostile.write_bytes(html.write(loads(HOSTILE), None))
        page.goto(hostile.as_uri() + "#lang=de")
        result["hostile_lang"] = page.get_attribute("html", "data-lang")
        page.fill("#respondent_id", "-5")
        page.select_option("#region", "a")
        page.check('input[name="i1"][value="-1"]')
        page.check('input[name="chk"][value="0"]')
        with page.expect_download() as dl4:
            page.click("#survey-download")
        result["negative_csv"] = dl4.value.path().read_bytes()
    result["console_errors"] = list(run.console_errors)
    result["external_requests"] = list(run.external_requests)
    return result


def _read_csv(data: bytes):
    import pandas as pd

    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.browser
def test_browser_page_loads_quietly_and_offline(browser_run):
    assert browser_run["console_errors"] == []
    assert browser_run["external_requests"] == []
    assert browser_run["title_en"] == "Working Culture in AI Labs"


@pytest.mark.browser
def test_browser_language_switch_shows_chinese(browser_run):
    sp1 = LAB_CULTURE.item("sp1").text
    assert browser_run["zh_item"] == f"1. {sp1['zh']}"
    assert browser_run["en_item"] == f"1. {sp1['en']}"
    assert browser_run["zh_option"] == "中国"
    assert browser_run["zh_title"] == "AI实验室工作文化调查"
    assert browser_run["zh_html_lang"] == "zh"
    assert browser_run["zh_download"] == "下载答案（CSV）"


@pytest.mark.browser
def test_browser_required_answers_are_checked_before_download(browser_run):
    wanted = ["Where is your lab mainly based?", "What kind of organization is your lab part of?",
              "Lab code (given to you by the researcher)"]
    assert browser_run["dialog"] == (
        "Required answers are missing:\n" + "\n".join(f"- {w}" for w in wanted)
        + "\n\nDownload the answers anyway?"
    )
    assert browser_run["missing_list"].splitlines() == [
        f"{w} ({v})" for w, v in zip(wanted, ["lab_region", "lab_type", "lab"], strict=True)
    ]
    assert browser_run["outlined"] == ["q-lab_region", "q-lab_type", "q-lab"]
    assert browser_run["outlined_after"] == 0


@pytest.mark.browser
def test_browser_download_is_the_template_layout_with_the_answers(browser_run):
    data = browser_run["csv_path"].read_bytes()
    assert browser_run["filename"] == "lab-culture-R-0042.csv"
    assert data.startswith(b"\xef\xbb\xbfrespondent_id,lab_region,")
    assert data.count(b"\r\n") == 2
    frame = _read_csv(data)
    assert list(frame.columns) == list(LAB_CULTURE.columns)
    assert frame.iloc[0].to_dict() == browser_run["answers"]
    assert browser_run["status"] == "Saved as lab-culture-R-0042.csv. Send this file to the researcher."
    n = len(LAB_CULTURE.item_ids) + len(LAB_CULTURE.check_ids)
    assert browser_run["blank_status"].endswith(f" {n} statements left blank.")
    assert browser_run["one_blank_status"].endswith(". 1 statement left blank.")


@pytest.mark.browser
def test_browser_download_quotes_and_neutralises_free_text(browser_run):
    data = browser_run["hostile_csv"]
    assert b',"\'=SUM(1,2) ""x""",' in data
    assert _read_csv(data)["lab"].tolist() == ["'=SUM(1,2) \"x\""]


@pytest.mark.browser
def test_browser_blank_form_downloads_blanks_and_a_generated_id(browser_run):
    frame = _read_csv(browser_run["blank_csv"])
    assert list(frame.columns) == list(LAB_CULTURE.columns)
    row = frame.iloc[0].to_dict()
    assert re.fullmatch(r"R-[0-9A-F]{8}", row.pop("respondent_id"))
    assert row.pop("respondent_id", None) is None
    assert set(row.values()) == {""}
    assert browser_run["generated_id"] == frame["respondent_id"].iloc[0]


def _read_responses():
    try:
        from survey.responses import read_responses
    except ImportError:
        pytest.skip("importer not available yet")
    return read_responses


@pytest.mark.browser
def test_browser_download_imports_unchanged(browser_run):
    read_responses = _read_responses()
    rs = read_responses(browser_run["csv_path"], LAB_CULTURE)
    assert rs.log.platform == "template"
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (1, 1, 0)
    got = rs.data.iloc[0]
    for col, want in browser_run["answers"].items():
        value = got[col]
        assert str(value) == want, col
    assert list(rs.data.columns) == list(LAB_CULTURE.columns)


@pytest.mark.browser
def test_browser_download_through_survey_import_gives_the_same_table(browser_run, tmp_path):
    from click.testing import CliRunner

    from survey.cli import COMMANDS, cli

    if "import" not in COMMANDS:
        pytest.skip("importer not available yet")
    clean = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(browser_run["csv_path"]), "-o", str(clean)])
    assert result.exit_code == 0, result.output
    assert "rows read 1, accepted 1, rejected 0" in result.output
    assert _read_csv(clean.read_bytes()).equals(_read_csv(browser_run["csv_path"].read_bytes()))


@pytest.mark.browser
def test_browser_negative_codes_stay_codes_and_hostile_text_stays_text(browser_run):
    assert browser_run["hostile_lang"] == "de"
    assert browser_run["negative_csv"] == (
        "\ufeffrespondent_id,region,i1,chk\r\n'-5,a,-1,0\r\n".encode()
    )


@pytest.mark.browser
def test_browser_print_layout_breaks_pages_and_draws_ticked_boxes(browser_run):
    layout = browser_run["print"]
    assert layout["breaks"] == ["page"] * 8
    assert layout["radios"] == ["none"] and layout["boxes"] == ["inline-block"]
    assert layout["selects"] == ["none"] and layout["lists"] == ["flex"]
    assert layout["buttons"] == ["none"]
    assert layout["ticks"] == ['"✓"'] * 49  # every answered row shows its tick
    answers = browser_run["answers"]
    assert layout["chosen"] == [answers[g.id] for g in LAB_CULTURE.groups if g.type == "choice"]
    assert browser_run["pdf_pages"] >= 9  # the grouping questions, then one page per part


def test_browser_helper_skips_with_the_reason_when_chromium_is_missing(monkeypatch):
    import browser

    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="chromium not found"):
        with browser.browser_page():
            pass
