"""Synthetic responses generated from an instrument's own hypotheses.

Researchers use simulated data to dry-run the analysis and plan sample sizes before
fielding; the project uses it for its sample data, tests and documentation. Every value
is drawn from a seeded :class:`numpy.random.Generator`, so one seed gives one data set,
and :func:`write_simulated` turns it into the same bytes every time.

The generative model
--------------------
Respondents are nested in labs, and the latent traits follow a two-level
random-intercept model; the answers follow Samejima's graded response model.

1. **Labs.** Labs are nested in the groups of one choice question, ``by`` (default:
   the instrument's first choice question; ``lab_region`` in the flagship): each lab
   belongs to one group, and every respondent of a lab gives that group as the answer.
   ``labs`` labs are spread over the codes of ``by`` (by default most of them over the
   groups the hypotheses compare, about one in fourteen in each other group). A lab is
   coded from its group and a number (``CN-01``, ``US-04``, ``OT-01``; the prefix is the
   group code's initials; never a real organisation's name) and the code is the answer
   to the cluster question, ``cluster`` (default: the instrument's ``cluster`` key, else
   its question ``lab``; when that is a choice question, lab *k* gets its *k*-th
   choice). Every other choice question whose id starts with ``lab`` or with the cluster
   question's id and ``_`` (``lab_type``, ``team_size``) is drawn once per lab,
   uniformly over its codes. Each lab gets a size drawn uniformly from
   ``respondents_per_lab`` (``A-B``).
2. **Respondents.** Student status is drawn per respondent with a rate of 0.35 in the
   group of ``by`` a student-involvement hypothesis (a hypothesis on a construct whose id
   contains ``student``) predicts higher, 0.12 in the group it predicts lower and 0.20
   elsewhere
   (0.20 everywhere without such a hypothesis). Students mostly (85 %) give the role whose
   code contains ``student`` or ``intern``; others draw among the remaining roles with
   weights proportional to ``0.75**k`` in the instrument's order (for researcher,
   engineer, manager, other: 37, 27, 21 and 15 %). Years in the field is
   a band of the ``years_in_field`` choices: a position drawn from Beta(1.2, 5) for
   students and Beta(2.2, 2.2) for others, cut into as many equal bands as there are
   choices. Any other choice question is uniform over its codes. A free-text question
   holds the years in the field when its id contains ``year``; any other free-text
   question is answered ``simulated`` when it is required and left blank otherwise.
3. **Latent scores.** For respondent *i* in lab *j* and construct *c*,
   ``theta_ic = mu_c + sum_h delta_h(i) + u_jc + e_ic`` where ``mu_c ~ N(0, 0.3^2)`` is
   the construct's grand mean, ``u_jc ~ N(0, icc)`` the lab random intercept and
   ``e_ic ~ N(0, 1 - icc)`` individual noise, independent across constructs. Within
   groups the latent variance is 1, so ``effect`` is a standardised difference (Cohen's
   d on the latent scale) and ``icc`` the share of it between labs. For each hypothesis
   ``h`` on construct *c* predicting ``a > b`` on a grouping question, ``delta_h`` is
   ``+effect/2`` for respondents in group ``a``, ``-effect/2`` in group ``b`` and 0 in
   every other group; a hypothesis named in ``null`` contributes 0 everywhere.
4. **Items (graded response model).** Item *k* has a discrimination
   ``a_k ~ U(1.3, 2.2)`` and ordered thresholds: for an *m*-point scale the base
   thresholds are ``linspace(-2, 1.5, m - 1)``, shifted by an item location
   ``N(0, 0.3^2)``, each jittered by ``N(0, 0.1^2)``, then sorted with gaps of at least
   0.2. ``P(Y >= step s+1) = logistic(a_k (theta - b_ks))``; the answer is the scale
   point of the step reached. A reverse-keyed item is answered on the reflected scale
   (``min + max - Y``), so agreement with it means less of the construct.
5. **Differential item functioning.** ``dif=[(item, group, shift)]`` adds ``shift``
   (latent SD units) to that item's latent location for respondents in ``group`` (a
   code of ``by``) only,
   in the direction of the raw answer (a positive shift raises the answers, also on a
   reverse-keyed item): a shifted intercept that the construct's other items do not
   share, for the invariance checks to find.
6. **Response styles.** ``midpoint={group: p}``: each item answer of an attentive
   respondent in ``group`` (a code of ``by``) is replaced by the scale midpoint with
   probability ``p`` (scales with an odd number of points only).
7. **Attention and missingness.** A share ``inattentive`` of respondents answer every
   item and attention check uniformly at random (most of them fail the check);
   everyone else gives the expected answer to each check. Finally each item and check
   answer is blanked with probability ``missing`` (missing completely at random).
   Answers to required grouping questions are never blank.

Rows are shuffled (as in a platform's submission order) and numbered ``SIM-00001``, ...
The draws for labs, item parameters, latent scores, answers, styles, inattention and
missingness come from separate streams spawned from the seed, so changing one option
(``null``, say) leaves the draws of the others unchanged.

Examples
--------
>>> from survey.instrument import load
>>> from survey.simulate import simulate
>>> frame = simulate(load("lab-culture"), seed=1, labs=4, respondents_per_lab=(5, 8))
>>> frame["respondent_id"].iloc[0]
'SIM-00001'
>>> sorted(frame["lab"].unique())
['CN-01', 'CN-02', 'OT-01', 'US-01']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Group, Instrument

__all__ = [
    "DEFAULTS",
    "LAB_GROUP",
    "Dif",
    "about_rows",
    "command_line",
    "parse_dif",
    "parse_labs",
    "parse_list",
    "parse_range",
    "parse_shares",
    "simulate",
    "simulation_groups",
    "write_simulated",
]

#: The question that holds the lab code when the instrument names no ``cluster``.
LAB_GROUP = "lab"

#: Default settings of :func:`simulate` (and ``survey simulate``).
DEFAULTS: dict[str, Any] = {
    "seed": 1,
    "labs": 14,
    "respondents_per_lab": (20, 60),
    "effect": 0.5,
    "icc": 0.10,
    "missing": 0.02,
    "inattentive": 0.03,
}

#: ``(item, group, shift)``: one planted shifted item intercept in a group of ``by``.
Dif = tuple[str, str, float]

_PREFIX = {"china": "CN", "united_states": "US", "other": "OT"}
_STUDENT_RATE = {"higher": 0.35, "lower": 0.12, "neither": 0.20}
_YES = ("yes", "y", "true", "1")
_NO = ("no", "n", "false", "0")


# ---- parsing option values (shared by the CLI and scripts) -----------------------------

def _fail(option: str, message: str) -> SurveyError:
    return SurveyError(f"{option}: {message}")


def parse_range(text: str, option: str = "--respondents-per-lab") -> tuple[int, int]:
    """Parse ``'A-B'`` (or ``'N'``) into ``(A, B)`` with ``1 <= A <= B``.

    Parameters
    ----------
    text : str
        The option's value.
    option : str
        The option's name, for the message.

    Returns
    -------
    tuple of int

    Raises
    ------
    SurveyError
        Not a range of whole numbers from 1.

    Examples
    --------
    >>> parse_range("20-60")
    (20, 60)
    >>> parse_range("9-3")
    Traceback (most recent call last):
    ...
    survey.errors.SurveyError: --respondents-per-lab: '9-3' must be A-B with 1 <= A <= B, e.g. 20-60
    """
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
    low = high = 0
    if m:
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) is not None else low
    if not m or low < 1 or low > high:
        raise _fail(option, f"'{text}' must be A-B with 1 <= A <= B, e.g. 20-60")
    return low, high


def parse_list(text: str | None) -> tuple[str, ...]:
    """Split ``'H5,H7'`` into ``('H5', 'H7')`` (empty entries dropped).

    Parameters
    ----------
    text : str or None
        The option's value (``None`` or ``""`` give an empty tuple).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> parse_list("H5, ,H7")
    ('H5', 'H7')
    """
    if not text:
        return ()
    return tuple(p.strip() for p in str(text).split(",") if p.strip())


def _number(value: str, option: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise _fail(option, f"'{value}' is not a number ({what})") from None


def parse_shares(texts: Sequence[str] | str | None, option: str = "--midpoint") -> dict[str, float]:
    """Parse ``['china=0.3']`` (or ``'china=0.3,other=0.1'``) into ``{'china': 0.3}``.

    The names are codes of the grouping question labs are nested in (``--by``).

    Parameters
    ----------
    texts : sequence of str, str or None
        The repeated option's values.
    option : str
        The option's name, for the message.

    Returns
    -------
    dict of str to float

    Raises
    ------
    SurveyError
        A part that is not ``NAME=SHARE`` with a share in [0, 1].

    Examples
    --------
    >>> parse_shares(["china=0.25", "other=0.1"])
    {'china': 0.25, 'other': 0.1}
    """
    if texts is None:
        return {}
    if isinstance(texts, str):
        texts = [texts]
    out: dict[str, float] = {}
    for text in texts:
        for part in parse_list(text):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise _fail(option, f"'{part}' must be GROUP=SHARE, e.g. china=0.3")
            out[key.strip()] = _number(value.strip(), option, "the share after =")
    return out


def parse_labs(text: str | int, option: str = "--labs") -> int | dict[str, int]:
    """Parse ``'14'`` into 14 or ``'china=8,united_states=5,other=1'`` into a mapping.

    The names are codes of the grouping question labs are nested in (``--by``).

    Parameters
    ----------
    text : str or int
        The option's value.
    option : str
        The option's name, for the message.

    Returns
    -------
    int or dict of str to int

    Raises
    ------
    SurveyError
        Neither a whole number from 1 nor ``GROUP=N`` pairs.

    Examples
    --------
    >>> parse_labs("china=8,united_states=5")
    {'china': 8, 'united_states': 5}
    """
    if isinstance(text, int):
        return text
    s = str(text).strip()
    if re.fullmatch(r"\d+", s):
        return int(s)
    out: dict[str, int] = {}
    for part in parse_list(s):
        key, sep, value = part.partition("=")
        if not sep or not re.fullmatch(r"\s*\d+\s*", value) or not key.strip():
            raise _fail(
                option,
                f"'{part}' must be a whole number of labs or GROUP=N pairs, e.g. 14 or "
                "china=8,united_states=5,other=1",
            )
        out[key.strip()] = int(value)
    if not out:
        raise _fail(option, "give a number of labs or GROUP=N pairs")
    return out


def parse_dif(texts: Sequence[str] | str | None, option: str = "--dif") -> list[Dif]:
    """Parse ``['ow1:china=0.8']`` into ``[('ow1', 'china', 0.8)]``.

    Parameters
    ----------
    texts : sequence of str, str or None
        The repeated option's values, each ``ITEM:GROUP=SHIFT``.
    option : str
        The option's name, for the message.

    Returns
    -------
    list of Dif

    Raises
    ------
    SurveyError
        A value not of that form, or a shift that is not a finite number.

    Examples
    --------
    >>> parse_dif(["bb5:united_states=-0.7"])
    [('bb5', 'united_states', -0.7)]
    """
    if texts is None:
        return []
    if isinstance(texts, str):
        texts = [texts]
    out: list[Dif] = []
    for text in texts:
        for part in parse_list(text):
            m = re.fullmatch(r"([^:=\s]+):([^:=\s]+)=(\S+)", part)
            if not m:
                raise _fail(option, f"'{part}' must be ITEM:GROUP=SHIFT, e.g. ow1:china=0.8")
            shift = _number(m.group(3), option, "the shift after =")
            out.append((m.group(1), m.group(2), shift))
    return out


# ---- checking settings against the instrument -------------------------------------------

def simulation_groups(
    instrument: Instrument, by: str | None = None, cluster: str | None = None,
) -> tuple[Group | None, Group | None]:
    """The grouping question labs are nested in and the question that holds the lab code.

    Parameters
    ----------
    instrument : Instrument
        The instrument to simulate.
    by : str, optional
        A choice question (``--by``); default: the first choice question that is not
        the cluster question.
    cluster : str, optional
        The question holding the lab code (``--cluster``); default: the instrument's
        ``cluster`` key, else its question ``lab`` when it has one.

    Returns
    -------
    (Group or None, Group or None)
        ``by`` (None when the instrument has no choice question) and the cluster
        question (None when there is none: labs are then simulated but not written).

    Raises
    ------
    SurveyError
        An unknown question, a ``by`` that is not a choice question, or the same question
        for both.

    Examples
    --------
    >>> from survey.instrument import load
    >>> by, cluster = simulation_groups(load("lab-culture"))
    >>> by.id, cluster.id
    ('lab_region', 'lab')
    >>> simulation_groups(load("lab-culture"), by="role")[0].id
    'role'
    """
    groups = {g.id: g for g in instrument.groups}

    def named(option: str, gid: str) -> Group:
        if gid not in groups:
            raise _fail(option, f"no grouping question '{gid}' in instrument "
                                f"'{instrument.id}'." + did_you_mean(gid, groups))
        return groups[gid]

    if cluster is not None:
        cluster_group: Group | None = named("--cluster", cluster)
    else:
        default = getattr(instrument, "cluster", None) or LAB_GROUP
        cluster_group = groups.get(default)
    if by is not None:
        by_group: Group | None = named("--by", by)
        assert by_group is not None
        if by_group.type != "choice" or not by_group.choices:
            choice = [g.id for g in instrument.groups if g.type == "choice" and g.choices]
            raise _fail("--by", f"'{by}' is not a choice question; labs are nested in the "
                                f"groups of one (choice questions: {', '.join(choice) or 'none'})")
        if cluster_group is not None and by_group.id == cluster_group.id:
            raise _fail("--by", f"'{by}' is the cluster question that holds the lab code; "
                                "name the question whose groups the labs belong to")
    else:
        by_group = next(
            (g for g in instrument.groups if g.type == "choice" and g.choices
             and (cluster_group is None or g.id != cluster_group.id)),
            None,
        )
    return by_group, cluster_group


def _need_group(instrument: Instrument, by: Group | None, option: str, code: str) -> None:
    if by is None:
        raise _fail(
            option,
            f"instrument '{instrument.id}' has no choice question to nest labs in, so "
            f"group '{code}' cannot be placed",
        )
    if code not in by.codes:
        raise _fail(
            option,
            f"'{code}' is not a code of {by.id} ({', '.join(by.codes)})."
            + did_you_mean(code, by.codes),
        )


def _check_share(option: str, name: str, value: float, upper_open: bool = True) -> None:
    ok = 0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0
    if not ok:
        bound = "0 <= x < 1" if upper_open else "0 <= x <= 1"
        raise _fail(option, f"{name} {value:g} must satisfy {bound}")


def _allocate_labs(
    instrument: Instrument, by: Group | None, labs: int | Mapping[str, int],
) -> list[str | None]:
    """Group of ``by`` of each lab, in order (None when there is no ``by`` question)."""
    if isinstance(labs, Mapping):
        if by is None:
            raise _fail(
                "--labs",
                f"instrument '{instrument.id}' has no choice question to nest labs in; give "
                "a plain number of labs",
            )
        for code, n in labs.items():
            _need_group(instrument, by, "--labs", code)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise _fail("--labs", f"{code}={n} must be a whole number >= 0")
        if sum(labs.values()) < 1:
            raise _fail("--labs", "at least one lab is needed")
        return [code for code in by.codes for _ in range(labs.get(code, 0))]
    if isinstance(labs, bool) or not isinstance(labs, int) or labs < 1:
        raise _fail("--labs", f"{labs!r} must be a whole number >= 1")
    if by is None:
        return [None] * labs
    compared = [
        c for c in by.codes
        if any(h.by == by.id and c in (h.higher, h.lower) for h in instrument.hypotheses)
    ]
    rest = [c for c in by.codes if c not in compared]
    if not compared:
        compared, rest = list(by.codes), []
    counts = dict.fromkeys(by.codes, 0)
    if rest and labs > len(compared):
        each = max(1, round(labs / 14))
        for c in rest:
            take = min(each, labs - len(compared) - sum(counts[r] for r in rest))
            counts[c] = max(take, 0)
    left = labs - sum(counts.values())
    for k, c in enumerate(compared):
        counts[c] = left // len(compared) + (1 if k < left % len(compared) else 0)
    return [code for code in by.codes for _ in range(counts[code])]


def _lab_prefix(code: str | None, taken: set[str]) -> str:
    if code is None:
        return "LAB"
    prefix = _PREFIX.get(code)
    if prefix is None:
        words = [w for w in code.split("_") if w]
        prefix = "".join(w[0] for w in words) if len(words) > 1 else code[:2]
        prefix = prefix.upper()
    base, k = prefix, 2
    while prefix in taken and _PREFIX.get(code) != prefix:
        prefix = f"{base}{k}"
        k += 1
    return prefix


def _is_lab_level(group: Group, by: Group | None, cluster: Group | None) -> bool:
    """A choice question answered once per lab (``lab_type``; ``team_size`` for ``team``)."""
    if not (group.type == "choice" and group.choices) or group is by or group is cluster:
        return False
    prefixes = ["lab"] + ([f"{cluster.id}_"] if cluster is not None else [])
    return group.id.startswith(tuple(prefixes))


# ---- the simulation ---------------------------------------------------------------------

def simulate(
    instrument: Instrument,
    *,
    seed: int = DEFAULTS["seed"],
    labs: int | Mapping[str, int] = DEFAULTS["labs"],
    respondents_per_lab: tuple[int, int] = DEFAULTS["respondents_per_lab"],
    effect: float = DEFAULTS["effect"],
    icc: float = DEFAULTS["icc"],
    null: Sequence[str] = (),
    midpoint: Mapping[str, float] | None = None,
    dif: Sequence[Dif] = (),
    missing: float = DEFAULTS["missing"],
    inattentive: float = DEFAULTS["inattentive"],
    by: str | None = None,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Simulate responses to ``instrument`` in its template layout.

    The generative model is described in the module docstring.

    Parameters
    ----------
    instrument : Instrument
        Any valid instrument; differences come from its hypotheses.
    seed : int
        Seed of the random generator; the same seed gives the same data.
    labs : int or mapping of str to int
        Number of labs, or labs per code of ``by`` (``{'china': 8, 'united_states': 5}``).
    respondents_per_lab : (int, int)
        Inclusive range each lab's size is drawn from uniformly.
    effect : float
        Standardised latent difference planted for every hypothesis, in its predicted
        direction.
    icc : float
        Share of the within-group latent variance lying between labs (``0 <= icc < 1``).
    null : sequence of str
        Hypothesis ids that get no difference.
    midpoint : mapping of str to float, optional
        Code of ``by`` -> probability that an item answer is replaced by the midpoint.
    dif : sequence of (item, group, shift)
        Items whose latent location is shifted by ``shift`` in one group of ``by``.
    missing : float
        Probability that an item or check answer is blank (MCAR).
    inattentive : float
        Share of respondents answering at random.
    by : str, optional
        The choice question labs are nested in (see :func:`simulation_groups`).
    cluster : str, optional
        The question that holds the lab code (see :func:`simulation_groups`).

    Returns
    -------
    pandas.DataFrame
        Columns ``instrument.columns``: ``respondent_id`` (``SIM-00001``, ...), grouping
        columns (choice questions categorical with the instrument's codes, text questions
        as strings), item and check columns as ``Int64``. ``frame.attrs['simulation']``
        holds the settings and the planted differences, for :func:`write_simulated`.

    Raises
    ------
    SurveyError
        When a setting is out of range or names an unknown hypothesis, group or item.

    Examples
    --------
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> df = simulate(inst, seed=3, labs={"china": 2, "united_states": 2},
    ...               respondents_per_lab=(10, 10), null=["H7"])
    >>> len(df), list(df.columns[:4])
    (40, ['respondent_id', 'lab_region', 'lab_type', 'lab'])
    >>> df.attrs["simulation"]["planted"]["H7"]
    ('peer_respect', 'lab_region', 'china > united_states', 0.0)
    """
    import numpy as np
    import pandas as pd

    # -- settings ----------------------------------------------------------------------
    low, high = parse_range(
        f"{respondents_per_lab[0]}-{respondents_per_lab[1]}"
        if isinstance(respondents_per_lab, tuple | list) else str(respondents_per_lab)
    )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail("--seed", f"{seed!r} must be a whole number >= 0")
    if not 0.0 <= icc < 1.0:
        raise _fail("--icc", f"{icc:g} must satisfy 0 <= icc < 1")
    if not np.isfinite(effect):
        raise _fail("--effect", f"{effect!r} must be a finite number")
    _check_share("--missing", "share", missing)
    _check_share("--inattentive", "share", inattentive, upper_open=False)
    hyp_ids = [h.id for h in instrument.hypotheses]
    for hid in null:
        if hid not in hyp_ids:
            known = ", ".join(hyp_ids) or "none"
            raise _fail(
                "--null",
                f"no hypothesis '{hid}' in instrument '{instrument.id}' (known: {known})."
                + did_you_mean(hid, hyp_ids),
            )
    by_group, cluster_group = simulation_groups(instrument, by, cluster)
    default_by, default_cluster = simulation_groups(instrument)
    midpoint = dict(midpoint or {})
    for code, p in midpoint.items():
        _need_group(instrument, by_group, "--midpoint", code)
        _check_share("--midpoint", f"share for {code}", p, upper_open=False)
    for item_id, code, shift in dif:
        if item_id not in instrument.item_ids:
            raise _fail(
                "--dif",
                f"no item '{item_id}' in instrument '{instrument.id}'."
                + did_you_mean(item_id, instrument.item_ids),
            )
        _need_group(instrument, by_group, "--dif", code)
        if not np.isfinite(shift):
            raise _fail("--dif", f"shift {shift!r} for {item_id} must be a finite number")
    lab_groups = _allocate_labs(instrument, by_group, labs)
    cluster_codes = (cluster_group.codes if cluster_group is not None
                     and cluster_group.type == "choice" else ())
    if cluster_codes and len(lab_groups) > len(cluster_codes):
        raise _fail("--labs", f"{len(lab_groups)} labs, but the cluster question "
                              f"'{cluster_group.id}' has {count(len(cluster_codes), 'choice')}; "
                              f"simulate at most {count(len(cluster_codes), 'lab')}")

    streams = np.random.SeedSequence(int(seed)).spawn(8)
    rng_lab, rng_item, rng_latent, rng_answer, rng_style, rng_attn, rng_miss, rng_person = (
        np.random.default_rng(s) for s in streams
    )

    # -- labs --------------------------------------------------------------------------
    taken: set[str] = set()
    prefixes: dict[str | None, str] = {}
    for code in dict.fromkeys(lab_groups):
        prefixes[code] = _lab_prefix(code, taken)
        taken.add(prefixes[code])
    counters: dict[str | None, int] = {}
    lab_codes = []
    for code in lab_groups:
        counters[code] = counters.get(code, 0) + 1
        lab_codes.append(f"{prefixes[code]}-{counters[code]:02d}")
    n_labs = len(lab_codes)
    sizes = rng_lab.integers(low, high + 1, size=n_labs)
    lab_level = [g for g in instrument.groups
                 if _is_lab_level(g, by_group, cluster_group)]
    lab_attrs: dict[str, np.ndarray] = {}
    for g in lab_level:
        lab_attrs[g.id] = np.asarray(g.codes, dtype=object)[
            rng_lab.integers(0, len(g.codes), size=n_labs)
        ]
    lab_of = np.repeat(np.arange(n_labs), sizes)
    n = int(sizes.sum())

    groups: dict[str, np.ndarray] = {}
    if by_group is not None:
        groups[by_group.id] = np.asarray(lab_groups, dtype=object)[lab_of]
    for gid, values in lab_attrs.items():
        groups[gid] = values[lab_of]
    groups.update(_respondent_groups(instrument, by_group, cluster_group, groups, n,
                                     rng_person))
    if cluster_group is not None:
        if cluster_codes:
            codes = np.asarray(cluster_codes, dtype=object)
            groups[cluster_group.id] = codes[np.arange(n_labs)][lab_of]
        else:
            groups[cluster_group.id] = np.asarray(lab_codes, dtype=object)[lab_of]

    # -- latent scores -------------------------------------------------------------------
    constructs = instrument.constructs
    n_c = len(constructs)
    mu = rng_latent.normal(0.0, 0.3, size=n_c)
    u = rng_latent.normal(0.0, 1.0, size=(n_labs, n_c)) * np.sqrt(icc)
    e = rng_latent.normal(0.0, 1.0, size=(n, n_c)) * np.sqrt(1.0 - icc)
    theta = mu[None, :] + u[lab_of] + e
    planted_rows: dict[str, tuple[str, str, str, float]] = {}
    c_index = {c.id: k for k, c in enumerate(constructs)}
    for h in instrument.hypotheses:
        d = 0.0 if h.id in null else float(effect)
        planted_rows[h.id] = (h.construct, h.by, h.predicts, d)
        values = groups.get(h.by)
        if values is None or d == 0.0:
            continue
        k = c_index[h.construct]
        theta[:, k] += np.where(values == h.higher, d / 2, 0.0)
        theta[:, k] -= np.where(values == h.lower, d / 2, 0.0)

    # -- answers -------------------------------------------------------------------------
    inattentive_mask = rng_attn.random(n) < inattentive
    by_values = groups.get(by_group.id) if by_group is not None else None
    dif_by_item: dict[str, list[tuple[str, float]]] = {}
    for item_id, code, shift in dif:
        dif_by_item.setdefault(item_id, []).append((code, shift))
    columns: dict[str, Any] = {}
    for k, construct in enumerate(constructs):
        scale = instrument.scales[construct.scale]
        points = np.asarray(scale.points)
        m = len(points)
        mid_index = (m - 1) // 2 if m % 2 == 1 else None
        for item in construct.items:
            a = rng_item.uniform(1.3, 2.2)
            b = _thresholds(rng_item, m)
            loc = theta[:, k].copy()
            sign = -1.0 if item.reverse else 1.0
            for code, shift in dif_by_item.get(item.id, []):
                loc += np.where(by_values == code, sign * shift, 0.0)
            # clipped so an extreme --effect or --dif saturates instead of overflowing;
            # ordinary values are not touched, so a seed gives the same file as before
            z = np.clip(a * (loc[:, None] - b[None, :]), -700.0, 700.0)
            p_step = 1.0 / (1.0 + np.exp(-z))
            draw = rng_answer.random(n)
            step = (draw[:, None] < p_step).sum(axis=1)
            if item.reverse:
                step = (m - 1) - step
            if mid_index is not None and midpoint and by_values is not None:
                p_mid = np.zeros(n)
                for code, p in midpoint.items():
                    p_mid[by_values == code] = p
                pulled = rng_style.random(n) < p_mid
                step = np.where(pulled, mid_index, step)
            else:
                rng_style.random(n)  # keep the stream aligned across settings
            random_step = rng_attn.integers(0, m, size=n)
            step = np.where(inattentive_mask, random_step, step)
            columns[item.id] = points[step]
    for check in instrument.checks:
        points = np.asarray(instrument.scales[check.scale].points)
        random_step = rng_attn.integers(0, len(points), size=n)
        columns[check.id] = np.where(inattentive_mask, points[random_step], check.expect)

    # -- missingness, assembly -------------------------------------------------------------
    order = rng_person.permutation(n)
    data: dict[str, Any] = {
        "respondent_id": [f"SIM-{i + 1:05d}" for i in range(n)],
    }
    for g in instrument.groups:
        values = groups.get(g.id)
        if values is None:
            values = np.full(n, None, dtype=object)
        values = values[order]
        if g.type == "choice" and g.choices:
            data[g.id] = pd.Categorical(values, categories=list(g.codes))
        else:
            data[g.id] = pd.array(values, dtype="string")
    for var in (*instrument.item_ids, *instrument.check_ids):
        values = pd.array(columns[var][order], dtype="Int64")
        blank = rng_miss.random(n) < missing
        values[blank] = pd.NA
        data[var] = values
    frame = pd.DataFrame(data, columns=list(instrument.columns))

    frame.attrs["simulation"] = {
        "instrument": instrument.id,
        "instrument_version": instrument.version,
        "seed": int(seed),
        "labs": dict(labs) if isinstance(labs, Mapping) else int(labs),
        "lab_counts": {str(k): lab_groups.count(k) for k in dict.fromkeys(lab_groups)},
        "by": by_group.id if by_group is not None else None,
        "cluster": cluster_group.id if cluster_group is not None else None,
        # named on the command line only when they differ from the defaults
        "by_option": None if by_group is default_by else by_group.id,
        "cluster_option": None if cluster_group is default_cluster else cluster_group.id,
        "respondents_per_lab": (low, high),
        "respondents": n,
        "effect": float(effect),
        "icc": float(icc),
        "null": list(null),
        "midpoint": {k: float(v) for k, v in midpoint.items()},
        "dif": [(i, r, float(s)) for i, r, s in dif],
        "missing": float(missing),
        "inattentive": float(inattentive),
        "planted": planted_rows,
    }
    return frame


def _thresholds(rng: np.random.Generator, m: int) -> np.ndarray:
    """Ordered GRM thresholds for an ``m``-point item (gaps of at least 0.2)."""
    import numpy as np

    base = np.linspace(-2.0, 1.5, m - 1) + rng.normal(0.0, 0.3)
    b = np.sort(base + rng.normal(0.0, 0.1, size=m - 1))
    for s in range(1, m - 1):
        b[s] = max(b[s], b[s - 1] + 0.2)
    return b


def _yes_no(group: Group) -> tuple[str, str] | None:
    yes = next((c for c in group.codes if c.lower() in _YES), None)
    no = next((c for c in group.codes if c.lower() in _NO), None)
    return (yes, no) if yes is not None and no is not None else None


def _respondent_groups(
    instrument: Instrument, by: Group | None, cluster: Group | None,
    lab_groups: Mapping[str, np.ndarray], n: int, rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Draw student status, role, years in field and other respondent-level answers."""
    import numpy as np

    rate = np.full(n, _STUDENT_RATE["neither"])
    if by is not None:
        values = lab_groups[by.id]
        for h in instrument.hypotheses:
            if h.by == by.id and "student" in h.construct.lower():
                rate = np.full(n, _STUDENT_RATE["neither"])
                rate[values == h.higher] = _STUDENT_RATE["higher"]
                rate[values == h.lower] = _STUDENT_RATE["lower"]
                break
    is_student = rng.random(n) < rate
    out: dict[str, np.ndarray] = {}
    for g in instrument.groups:
        if g.id in lab_groups or g is cluster:
            continue  # answered once per lab
        text = g.type != "choice" or not g.choices
        if text and g.id.startswith("lab") and not g.required:
            continue  # an optional lab-level text question stays blank
        draw = rng.random(n)
        if text:
            if "year" in g.id.lower():
                years = np.where(is_student, rng.poisson(1.5, n), rng.gamma(2.0, 3.5, n))
                out[g.id] = np.asarray([str(int(y)) for y in years], dtype=object)
            elif g.required:
                out[g.id] = np.full(n, "simulated", dtype=object)
            continue
        codes = np.asarray(g.codes, dtype=object)
        pair = _yes_no(g)
        if "student" in g.id.lower() and pair is not None:
            yes, no = pair
            out[g.id] = np.where(is_student, yes, no).astype(object)
        elif "role" in g.id.lower():
            student_codes = [c for c in g.codes if "student" in c or "intern" in c]
            others = [c for c in g.codes if c not in student_codes]
            weights = np.array([0.4 * 0.75**k for k in range(len(others))])
            weights /= weights.sum()
            cum = np.cumsum(weights)
            other_pick = np.asarray(others, dtype=object)[
                np.minimum(np.searchsorted(cum, draw), len(others) - 1)
            ] if others else codes[np.zeros(n, dtype=int)]
            if student_codes:
                as_student = is_student & (rng.random(n) < 0.85)
                out[g.id] = np.where(as_student, student_codes[0], other_pick).astype(object)
            else:
                rng.random(n)
                out[g.id] = other_pick
        elif "year" in g.id.lower():
            pos = np.where(is_student, rng.beta(1.2, 5.0, n), rng.beta(2.2, 2.2, n))
            band = np.minimum((pos * len(codes)).astype(int), len(codes) - 1)
            out[g.id] = codes[band]
        else:
            out[g.id] = codes[np.minimum((draw * len(codes)).astype(int), len(codes) - 1)]
    return out


# ---- writing -------------------------------------------------------------------------------

def _format_number(x: float) -> str:
    return f"{x:g}"


def _labs_per(settings: Mapping[str, Any]) -> str:
    """The ``about`` key of the labs per group (``labs per region`` for ``lab_region``)."""
    by = settings.get("by")
    if by is None:
        return "labs"
    return "labs per region" if by == "lab_region" else f"labs per {by}"


def about_rows(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The ``about`` sheet: that the data are simulated, and the exact settings.

    Examples
    --------
    >>> from survey.instrument import load
    >>> rows = about_rows(simulate(load("lab-culture"), seed=2, labs=3,
    ...                            respondents_per_lab=(4, 4)))
    >>> rows[0][0]
    'simulated'
    """
    s = frame.attrs.get("simulation")
    rows: list[tuple[str, str]] = [
        ("simulated", "These data are simulated by `survey simulate`. They describe no real "
                      "lab or person; lab codes and respondent ids are made up."),
    ]
    if not s:
        return rows
    labs = s["labs"]
    labs_text = (",".join(f"{k}={v}" for k, v in labs.items()) if isinstance(labs, dict)
                 else str(labs))
    rpl = s["respondents_per_lab"]
    rows += [
        ("instrument", f"{s['instrument']} {s['instrument_version']}"),
        ("seed", str(s["seed"])),
        ("labs", labs_text),
        (_labs_per(s), ", ".join(f"{k}: {v}" for k, v in s["lab_counts"].items())),
        ("respondents per lab", f"{rpl[0]}-{rpl[1]}"),
        ("respondents", str(s["respondents"])),
        ("effect", f"{_format_number(s['effect'])} (standardised latent difference per "
                   "hypothesis, in its predicted direction)"),
        ("icc", f"{_format_number(s['icc'])} (share of latent variance between labs)"),
        ("null", ",".join(s["null"]) or "none"),
        ("midpoint", ",".join(f"{k}={_format_number(v)}" for k, v in s["midpoint"].items())
         or "none"),
        ("dif", ",".join(f"{i}:{r}={_format_number(v)}" for i, r, v in s["dif"]) or "none"),
        ("missing", f"{_format_number(s['missing'])} (item and check answers blank at "
                     "random)"),
        ("inattentive", f"{_format_number(s['inattentive'])} (respondents answering at "
                        "random)"),
    ]
    for hid, (construct, by, predicts, d) in s["planted"].items():
        rows.append((f"planted {hid}", f"{construct} by {by}: {predicts}, latent difference "
                                       f"{_format_number(d)} SD"))
    rows.append(("command", command_line(frame)))
    return rows


def command_line(frame: pd.DataFrame, output: str = "FILE") -> str:
    """The ``survey simulate`` command that makes ``frame`` again.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by :func:`simulate` (its settings are in ``frame.attrs``).
    output : str
        The file name to put after ``-o``.

    Returns
    -------
    str

    Examples
    --------
    >>> from survey.instrument import load
    >>> cmd = command_line(simulate(load("lab-culture"), seed=5, labs=2, null=["H7"]), "x.csv")
    >>> cmd.split(" --")[:3]
    ['survey simulate lab-culture', 'seed 5', 'labs 2']
    >>> cmd.split(" --")[-3:]
    ['null H7', 'missing 0.02', 'inattentive 0.03 -o x.csv']
    """
    s = frame.attrs["simulation"]
    labs = s["labs"]
    labs_text = (",".join(f"{k}={v}" for k, v in labs.items()) if isinstance(labs, dict)
                 else str(labs))
    rpl = s["respondents_per_lab"]
    parts = [
        "survey simulate", s["instrument"], f"--seed {s['seed']}", f"--labs {labs_text}",
        f"--respondents-per-lab {rpl[0]}-{rpl[1]}", f"--effect {_format_number(s['effect'])}",
        f"--icc {_format_number(s['icc'])}",
    ]
    if s.get("by_option"):
        parts.append(f"--by {s['by_option']}")
    if s.get("cluster_option"):
        parts.append(f"--cluster {s['cluster_option']}")
    if s["null"]:
        parts.append("--null " + ",".join(s["null"]))
    parts += [f"--midpoint {k}={_format_number(v)}" for k, v in s["midpoint"].items()]
    parts += [f"--dif {i}:{r}={_format_number(v)}" for i, r, v in s["dif"]]
    parts += [f"--missing {_format_number(s['missing'])}",
              f"--inattentive {_format_number(s['inattentive'])}", f"-o {output}"]
    return " ".join(parts)


def write_simulated(frame: pd.DataFrame, suffix: str) -> bytes:
    """Write a simulated frame in the template layout as ``.xlsx`` or ``.csv`` bytes.

    The workbook has the data on a sheet ``responses`` and a sheet ``about`` stating
    that the data are simulated and with which settings. The same frame gives the same
    bytes. Text cells that a spreadsheet would run as formulas are neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by :func:`simulate`.
    suffix : str
        ``.xlsx`` or ``.csv`` (with or without the dot, any case).

    Returns
    -------
    bytes

    Raises
    ------
    SurveyError
        For any other suffix.
    """
    from survey.outputs import neutralise

    kind = suffix.lower().lstrip(".")
    if kind not in ("xlsx", "csv"):
        raise SurveyError(
            f"cannot write simulated data as '{suffix}'; the output file must end in .xlsx "
            "or .csv"
        )
    plain = _plain(frame)
    if kind == "csv":
        from survey.responses.writers import write_frame

        return write_frame(plain, ".csv")

    from openpyxl import Workbook

    from survey.outputs import add_about_sheet, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "responses"
    ws.append([str(c) for c in plain.columns])
    for row in plain.itertuples(index=False, name=None):
        ws.append([neutralise(v) for v in row])
    add_about_sheet(wb, about_rows(frame), widths=(22, 100))
    return workbook_bytes(wb)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Python values only: str or None for text, int or None for numbers."""
    import pandas as pd

    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
            out[col] = pd.Series(
                [None if pd.isna(v) else str(v) for v in s], dtype=object, index=frame.index
            )
        else:
            out[col] = pd.Series(
                [None if pd.isna(v) else int(v) for v in s], dtype=object, index=frame.index
            )
    return pd.DataFrame(out, columns=frame.columns)
