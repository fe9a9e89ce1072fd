"""Forked worker processes for the parts of a report that do not depend on each other.

The figures (:func:`analysis.report.figures.start_figures`) and, when no figures are
drawn, the workbook (:func:`start_workbook`) are made by worker processes forked from
the one computing the report, while it goes on with the rest: the workers inherit the
report data and the loaded modules, so nothing is pickled on the way there or imported
again, and only their results (bytes) come back. Where processes are not forked
(Windows, macOS: spawning would import everything again) or there is one core, the
same functions run in this process, with the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from analysis.report.tables import ReportData

__all__ = ["cores", "fork_pool", "start_workbook", "worker_data"]

#: The report data the forked workers work from (set just before they are forked).
_WORKER_DATA: ReportData | None = None


def cores() -> int:
    """Cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_data() -> ReportData:
    """The report data a forked worker was forked with."""
    assert _WORKER_DATA is not None  # noqa: S101 - set before the fork
    return _WORKER_DATA


def fork_pool(data: ReportData, workers: int) -> Any:
    """A pool of ``workers`` forked processes that work from ``data``
    (:func:`worker_data`), or None where processes are not forked."""
    import multiprocessing
    import sys
    import warnings

    if not sys.platform.startswith("linux"):
        return None
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover
        return None
    global _WORKER_DATA
    _WORKER_DATA = data
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process that has threads (the BLAS's,
            # pyarrow's); the workers only draw and write, holding none of their locks
            warnings.simplefilter("ignore", DeprecationWarning)
            return context.Pool(workers)
    finally:
        _WORKER_DATA = None


def start_workbook(data: ReportData, *, processes: int | None = None) -> Callable[[], bytes]:
    """Start writing ``report.xlsx`` (:func:`analysis.report.workbook.workbook`) in a
    forked worker when there is a core to spare; the returned function waits for the
    bytes (the same as written here, which is what it does otherwise)."""
    from analysis.report.workbook import workbook

    spare = (processes if processes is not None else cores()) > 1
    pool = fork_pool(data, 1) if spare else None
    if pool is None:
        return lambda: workbook(data)
    pending = pool.apply_async(_workbook_in_worker)
    pool.close()

    def wait() -> bytes:
        try:
            return pending.get()
        finally:
            pool.join()

    return wait


def _workbook_in_worker() -> bytes:
    from analysis.report.workbook import workbook

    return workbook(worker_data())
