"""Round trip: simulated answers written in a response layout import back unchanged.

Parametrised over the layouts this package writes (template CSV/XLSX, Kobo XML values and
label exports); the other platform layouts are tested with their readers.
"""

from __future__ import annotations

import pandas as pd
import pytest

from survey.instrument import load
from survey.responses import read_responses
from survey.simulate import simulate


@pytest.fixture(scope="module")
def inst():
    return load("lab-culture")


@pytest.fixture(scope="module")
def simulated(inst):
    return simulate(inst, seed=3, labs=3, respondents_per_lab=(5, 8), missing=0.05)


def _template(frame, inst, suffix):
    from survey.responses.writers import write_frame

    return write_frame(frame, suffix)


def _kobo(lang, suffix):
    def write(frame, inst, _suffix):
        from survey.responses.layouts import kobo_layout

        return kobo_layout(frame, inst, lang=lang, suffix=suffix)
    return write, suffix


LAYOUTS = {
    "template-csv": (_template, ".csv"),
    "template-xlsx": (_template, ".xlsx"),
    "kobo-xml-csv": _kobo(None, ".csv"),
    "kobo-xml-xlsx": _kobo(None, ".xlsx"),
    "kobo-labels-en-csv": _kobo("en", ".csv"),
    "kobo-labels-zh-xlsx": _kobo("zh", ".xlsx"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_round_trip(tmp_path, inst, simulated, layout):
    write, suffix = LAYOUTS[layout]
    path = tmp_path / f"responses{suffix}"
    path.write_bytes(write(simulated, inst, suffix))
    rs = read_responses(path, inst)
    assert rs.log.platform == layout.split("-")[0]
    assert (rs.log.rows_read, rs.log.rows_accepted) == (len(simulated), len(simulated))
    assert [r.reason for r in rs.log.records if r.action != "flagged"] == []
    pd.testing.assert_frame_equal(rs.data, simulated, check_dtype=False,
                                  check_categorical=True)
    for col in inst.item_ids:
        assert str(rs.data[col].dtype) == "Int64"
    for g in inst.groups:
        if g.type == "choice":
            assert list(rs.data[g.id].cat.categories) == list(g.codes)
