"""Run part of a batch in a forked process on the second core.

The child inherits everything in memory (the KB, the ward) by fork, opens its own connection
to the very KB file its parent read (a KB rebuilt since is never mixed in), sends back only
its result, pickled through a pipe, and exits at once (no teardown of a large heap).
Elsewhere than Linux, or with one CPU, the work runs in this process.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

from pharmcheck.kb.store import KnowledgeBase


def fork_available() -> bool:
    """Linux only: macOS system frameworks are not safe to fork without exec, Windows has no
    fork."""
    return (os.cpu_count() or 1) > 1 and sys.platform.startswith("linux")


class Background:
    """``work(*args)`` started in a forked child; :meth:`result` waits for it."""

    def __init__(self, kb: KnowledgeBase, work: Callable[..., Any], *args: Any):
        self._pid: int | None = None
        if not fork_available():
            self._value = (True, work(*args))
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            try:
                kb.reconnect()  # its own connection to the parent's KB, or a KnowledgeBaseError
                payload: tuple[bool, Any] = (True, work(*args))
            except BaseException as exc:  # noqa: BLE001  (re-raised in the parent)
                payload = (False, exc)
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    pickle.dump(payload, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write_end)
        self._pid, self._pipe = pid, os.fdopen(read_end, "rb")

    def result(self) -> Any:
        if self._pid is not None:
            try:
                self._value = pickle.load(self._pipe)
            except EOFError:
                self._value = (
                    False,
                    RuntimeError("the second screening process ended without a result"),
                )
            finally:
                self.close(stop=False)
        ok, value = self._value
        if not ok:
            raise value
        return value

    def close(self, stop: bool = True) -> None:
        """Reap the child; with ``stop``, end it first (its result is no longer wanted)."""
        if self._pid is not None:
            self._pipe.close()
            if stop:
                import signal

                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
