"""Running independent pieces of work on the machine's cores.

numpy releases the GIL inside its loops, so threads give real parallelism for array work; a
result never depends on how the pieces were scheduled, only the wall time does. Work already
running in the pool runs nested work inline, so a task never waits on a queue it blocks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cores(), thread_name_prefix=_PREFIX)


_PREFIX = "followup-core"


def in_background(work: Callable[[], Any]) -> Future[Any]:
    """Start work on another core, or run it now (one core, or already on a pool thread)."""
    if cores() < 2 or threading.current_thread().name.startswith(_PREFIX):
        done: Future[Any] = Future()
        done.set_result(work())
        return done
    return _pool().submit(work)


T = TypeVar("T")


def on_two_cores(work: Sequence[Callable[[], T]]) -> list[T]:
    """Run independent pieces, every other one on another core; results in the pieces' order."""
    later = [in_background(piece) for piece in work[1::2]]
    results = [piece() for piece in work[::2]]
    for position, job in enumerate(later):
        results.insert(2 * position + 1, job.result())
    return results
