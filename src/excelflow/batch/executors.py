"""Where the files of a batch run: the one place that decides.

:class:`Executor` is serial, a local process pool (``concurrent.futures``, default one worker per
core) or Dask distributed (``--dask local`` starts a ``LocalCluster`` of worker processes;
``--dask tcp://host:8786`` uses a running scheduler whose workers read the same paths).
:func:`run` maps a plain function over the items and yields ``(index, result)`` as results
arrive, keeping only a few tasks in flight per worker, so a run over 100,000 files holds 100,000
paths and never 100,000 pending results. The function does not know where it runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

IN_FLIGHT = 4
"""Tasks queued per worker: enough to keep every worker busy, few enough to bound memory."""

LOCAL_DASK_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for the ``LocalCluster`` we start (its workers inherit them from their nannies).
A worker's event-loop thread shares the GIL with the task thread: sampling the running task's
stack every 10 ms (the statistical profiler), the system monitor every 0.5 s, the event-loop tick
every 20 ms and the memory monitor every 0.1 s cost about 9 ms of CPU per task in each worker and
as much again in our process (scheduler, nannies), on 2 cores about 20 % of the work (measured
with per-thread CPU times, see notes). Nothing of ours reads them."""

CHUNK = 8
"""At most this many files per Dask task: each task costs the scheduler, the client and the
worker's event loop a few milliseconds of CPU whatever its size, as much as a small file's
check, so tasks are grouped (while leaving each worker at least 16 tasks, for balance and for
the progress bar)."""

DASK_MISSING = (
    "--dask needs Dask distributed, an optional extra: pip install 'excelflow-sales[dask]'"
)


class ExecutorError(Exception):
    """The executor cannot be used (Dask not installed, no scheduler at the address); the
    message is one line."""


@dataclass(frozen=True)
class Executor:
    """Where to run: ``kind`` is ``serial``, ``pool`` or ``dask``; ``workers`` processes (for
    ``dask`` with an ``address``: None, the cluster's own); ``address`` ``local`` or a
    scheduler's address."""

    kind: str
    workers: int | None = None
    address: str | None = None

    def describe(self) -> str:
        """One line for the user (``process pool, 2 workers``)."""
        if self.kind == "serial":
            return "serial"
        if self.kind == "pool":
            return f"process pool, {self.workers} workers"
        if self.address == "local":
            return f"Dask LocalCluster, {self.workers} workers"
        return f"Dask scheduler {self.address}"


def cores() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def choose(workers: int | None, dask: str | None) -> Executor:
    """The executor the options ask for: ``--dask`` wins; else ``--workers 1`` is serial and
    any other number (default: the cores) a process pool.

    Raises:
        ExecutorError: ``workers`` below 1.
    """
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be at least 1, not {workers}")
    if dask is not None:
        if dask == "local":
            return Executor("dask", workers or cores(), "local")
        return Executor("dask", workers, dask)
    n = workers or cores()
    return Executor("serial", 1) if n == 1 else Executor("pool", n)


def run(
    executor: Executor,
    fn: Callable[..., R],
    items: Sequence[T],
    *args: Any,
    crashed: Callable[[T, str], R] | None = None,
) -> Iterator[tuple[int, R]]:
    """``fn(item, *args)`` for every item, as ``(index, result)`` in the order they finish.

    ``crashed(item, why)`` is the result of an item whose worker process died under it (a Rust
    panic in a reader, the kernel's out-of-memory kill): the pool is restarted, the items that
    were in flight are run again one at a time in a worker of their own to find the one that
    kills it, and the run goes on. Without ``crashed`` such a death ends the run.

    Raises:
        ExecutorError: the executor cannot start.
    """
    if executor.kind == "serial" or not items:
        for i, item in enumerate(items):
            yield i, fn(item, *args)
    elif executor.kind == "pool":
        yield from _pool(executor, fn, items, args, crashed)
    else:
        yield from _dask(executor, fn, items, args, crashed)


def _context() -> Any:
    # fork would copy the parent's threads (the progress bar's); forkserver starts clean workers
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
    return multiprocessing.get_context(method)


def _pool(
    executor: Executor,
    fn: Callable[..., R],
    items: Sequence[T],
    args: tuple[Any, ...],
    crashed: Callable[[T, str], R] | None,
) -> Iterator[tuple[int, R]]:
    n = executor.workers or cores()
    context = _context()
    if context.get_start_method() == "forkserver":  # workers forked from a loaded server
        context.set_forkserver_preload([fn.__module__])
    todo = iter(enumerate(items))

    def feed(pool: cf.ProcessPoolExecutor, pending: dict[cf.Future[R], int]) -> None:
        for i, item in todo:
            pending[pool.submit(fn, item, *args)] = i
            if len(pending) >= n * IN_FLIGHT:
                return

    while True:
        suspects: list[int] = []
        with cf.ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            pending: dict[cf.Future[R], int] = {}
            feed(pool, pending)
            try:
                while pending and not suspects:
                    done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            if crashed is None:
                                raise
                            suspects = sorted(pending.values())
                            break
                        yield pending.pop(future), result
                    if not suspects:
                        feed(pool, pending)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        if not suspects:
            return
        assert crashed is not None
        for i in suspects:  # one at a time, each in a worker of its own: which one kills it?
            yield i, _alone(context, fn, items[i], args, crashed)


def _alone(
    context: Any,
    fn: Callable[..., R],
    item: T,
    args: tuple[Any, ...],
    crashed: Callable[[T, str], R],
) -> R:
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(fn, item, *args).result()
        except BrokenProcessPool:
            return crashed(item, "its worker process died")


def chunk_size(items: int, workers: int) -> int:
    """How many items per Dask task: up to :data:`CHUNK`, at least 16 tasks per worker."""
    return max(1, min(CHUNK, items // (16 * max(1, workers))))


def _chunk(fn: Callable[..., R], items: Sequence[T], *args: Any) -> list[R]:
    """``fn`` over a group of items, in a worker (a Dask task)."""
    return [fn(item, *args) for item in items]


def _dask(
    executor: Executor,
    fn: Callable[..., R],
    items: Sequence[T],
    args: tuple[Any, ...],
    crashed: Callable[[T, str], R] | None,
) -> Iterator[tuple[int, R]]:
    try:  # typed as Any: distributed ships partial annotations only
        dd: Any = importlib.import_module("distributed")
        dask: Any = importlib.import_module("dask")
    except ImportError:
        raise ExecutorError(DASK_MISSING) from None
    local = executor.address == "local"
    with dask.config.set(LOCAL_DASK_CONFIG if local else {}), _quiet_dask(local):
        yield from _dask_run(dd, executor, fn, items, args, crashed)


@contextlib.contextmanager
def _quiet_dask(local: bool) -> Iterator[None]:
    """Dask's own error logs silenced while our ``LocalCluster`` runs (its scheduler and nannies
    live in this process). When a reader's abort kills a worker on purpose, distributed logs
    the broken connections and heartbeats with a Traceback on stderr; the user is told about
    that file in one line by us, and the run goes on. A cluster of someone else's keeps its
    logs."""
    if not local:
        yield
        return
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _dask_run(
    dd: Any,
    executor: Executor,
    fn: Callable[..., R],
    items: Sequence[T],
    args: tuple[Any, ...],
    crashed: Callable[[T, str], R] | None,
) -> Iterator[tuple[int, R]]:
    as_completed = dd.as_completed
    cluster = None
    try:
        if executor.address == "local":
            cluster = dd.LocalCluster(
                n_workers=executor.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,  # in the workers: see _quiet_dask
            )
            client = dd.Client(cluster)
        else:
            try:
                client = dd.Client(executor.address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorError(
                    f"--dask {executor.address}: cannot reach the scheduler ({exc})"
                ) from None
        try:
            threads = sum(client.nthreads().values()) or 1
            # sent with each task, not scattered: scattered data dies with a worker (a reader's
            # abort), and every task still waiting for it would be cancelled
            shared = list(args)
            size = chunk_size(len(items), threads)
            groups = iter(range(0, len(items), size))
            futures = as_completed()
            index: dict[Any, tuple[int, int]] = {}

            def feed(limit: int) -> None:
                for _ in range(limit):
                    start = next(groups, None)
                    if start is None:
                        return
                    group = items[start : start + size]
                    future = client.submit(_chunk, fn, group, *shared, pure=False)
                    index[future.key] = (start, len(group))
                    futures.add(future)

            feed(threads * IN_FLIGHT)
            killed = importlib.import_module("distributed.scheduler").KilledWorker
            for future in futures:
                start, count = index.pop(future.key)
                try:
                    results = future.result()
                except killed:  # a worker died under this task (Dask retried it elsewhere)
                    if crashed is None:
                        raise
                    results = _dask_alone(client, fn, items[start : start + count], shared)
                    results = [
                        crashed(items[start + k], why) if why else r
                        for k, (r, why) in enumerate(results)
                    ]
                future.release()
                for offset, result in enumerate(results):
                    yield start + offset, result
                feed(1)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _dask_alone(
    client: Any, fn: Callable[..., R], group: Sequence[T], shared: list[Any]
) -> list[tuple[R | None, str | None]]:
    """The items of a task whose worker died, each as a task of its own: ``(result, None)``,
    or ``(None, why)`` for the one under which a worker dies again."""
    killed = importlib.import_module("distributed.scheduler").KilledWorker
    out: list[tuple[R | None, str | None]] = []
    for item in group:
        future = client.submit(_chunk, fn, [item], *shared, pure=False, retries=0)
        try:
            out.append((future.result()[0], None))
        except killed:
            out.append((None, "its Dask worker died"))
        future.release()
    return out
