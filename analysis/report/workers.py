"""Forked worker processes for the parts of a report that do not depend on each other.

The figures (:func:`analysis.report.figures.start_figures`), the comparability checks
and measurement model (beside the group comparisons and reliability) and the workbook
(:func:`start_workbook`, beside the page) are made by worker processes forked from the
one computing the report, while it goes on with the rest: the workers inherit the
report data and the loaded modules, so nothing is pickled on the way there or imported
again, and only their results (bytes, tables) come back. Where processes are not forked
(Windows, macOS: spawning would import everything again) or there is one core, the
same functions run in this process, with the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from analysis.report.tables import ReportData

__all__ = ["cores", "fork_call", "fork_map", "start_workbook", "worker_data"]

T = TypeVar("T")

#: What the forked workers work from (set just before they are forked): the report
#: data, or the function a worker of :func:`fork_call` runs.
_WORKER_DATA: Any = None


def cores() -> int:
    """Cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_data() -> Any:
    """What a forked worker was forked with (the report data for the figures)."""
    assert _WORKER_DATA is not None  # noqa: S101 - set before the fork
    return _WORKER_DATA


def fork_map(data: Any, function: Callable[[Any], T], items: list[Any],
             workers: int) -> Callable[[], list[T]] | None:
    """Start ``function(item)`` for each of ``items`` in ``workers`` processes forked
    from this one, which work from ``data`` (:func:`worker_data`); None where processes
    are not forked.

    The returned function waits for the results, in the order of ``items``. It raises
    :class:`concurrent.futures.process.BrokenProcessPool` when a worker died (killed, or
    out of memory) instead of waiting for it forever, so the caller can do the work
    itself; an exception raised by ``function`` is raised as it was.
    """
    import gc
    import multiprocessing
    import sys
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    if not sys.platform.startswith("linux") or not items:
        return None
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover
        return None
    global _WORKER_DATA
    _WORKER_DATA = data
    # the objects there are now are out of the cycle collector's sight in the workers
    # (they would otherwise walk them all, and copy every page they touch) and, until
    # they are forked, here
    gc.freeze()
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process that has threads (the BLAS's,
            # pyarrow's); the workers only compute, draw and write, holding none of
            # their locks
            warnings.simplefilter("ignore", DeprecationWarning)
            executor = ProcessPoolExecutor(workers, mp_context=context)
            # the first submission forks every worker (with the data set above)
            futures = [executor.submit(function, item) for item in items]
    finally:
        _WORKER_DATA = None
        gc.unfreeze()
    executor.shutdown(wait=False)

    def wait() -> list[T]:
        try:
            return [future.result() for future in futures]
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    return wait


def start_workbook(data: ReportData, *, processes: int | None = None) -> Callable[[], bytes]:
    """Start writing ``report.xlsx`` (:func:`analysis.report.workbook.workbook`) in a
    forked worker when there is a core to spare; the returned function waits for the
    bytes (the same as written here, which is what it does otherwise)."""
    from analysis.report.workbook import workbook

    return fork_call(lambda: workbook(data), processes=processes)


def fork_call(work: Callable[[], T], *, processes: int | None = None) -> Callable[[], T]:
    """Start ``work`` in a forked worker when there is a core to spare (``processes``:
    the cores to count on, default those of this process); the returned function waits
    for its result, which comes back pickled. Where no worker is forked, or the worker
    fails, ``work`` is run here when the result is asked for (so an error is raised
    here, as it would have been without the worker)."""
    from concurrent.futures.process import BrokenProcessPool

    spare = (processes if processes is not None else cores()) > 1
    pending = fork_map(work, _call_in_worker, [None], 1) if spare else None
    if pending is None:
        return work

    def wait() -> T:
        try:
            [(failed, result)] = pending()
        except BrokenProcessPool:  # the worker died: do the work here
            failed, result = True, None
        return work() if failed else result

    return wait


def _call_in_worker(_: None) -> tuple[bool, Any]:
    try:
        return False, worker_data()()  # type: ignore[operator]
    except Exception:  # noqa: BLE001 - run again in the parent, which raises it
        return True, None
