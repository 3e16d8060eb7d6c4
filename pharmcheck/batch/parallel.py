"""Run part of a batch in a forked process on the second core.

The child inherits everything in memory (the KB, the ward) by fork, opens its own KB
connection, and sends back only its result, pickled. Where fork is unavailable (Windows,
macOS defaults aside) or there is one CPU, the work runs in this process instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pharmcheck.kb.store import KnowledgeBase

_TASK: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


def fork_available() -> bool:
    import multiprocessing

    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def start(kb: KnowledgeBase, work: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """Start ``work(*args)`` in a forked child; returns a function that waits for its result."""
    global _TASK
    if not fork_available():
        return lambda: work(*args)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _TASK = (work, args)  # inherited by the child: never pickled
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=kb.reconnect)
    try:
        future: Future[Any] = pool.submit(_run_task)
    finally:
        _TASK = None  # the child is forked at submit

    def result() -> Any:
        try:
            return future.result()
        finally:
            pool.shutdown()

    return result


def _run_task() -> Any:
    assert _TASK is not None
    work, args = _TASK
    return work(*args)
