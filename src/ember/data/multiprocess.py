"""The iterator of a ``DataLoader`` with ``num_workers > 0``: worker processes, requests sent
round robin with ``prefetch_factor`` per worker in flight, batches delivered in order (or as they
come with ``in_order=False``), errors re-raised here, and the workers stopped on every exit path.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import queue
import time
from typing import Any

from .worker import decode, reraise, worker_loop

_POLL_S = 1.0  # how often a waiting loader checks that its workers are alive
_JOIN_S = 5.0  # how long an idle worker may take to stop before it is terminated
_GRACE_S = 0.2  # the same after an error or Ctrl-C, when workers may be busy in user code


class MultiProcessIterator:
    """Iterates one epoch (and, with ``persistent_workers``, is reset for the next ones)."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        self._index_sampler = loader._index_sampler  # no reference to the loader: no cycle
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._prefetch = loader.prefetch_factor * loader.num_workers
        context = loader.multiprocessing_context or multiprocessing.get_context()
        if isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._data_queue = context.Queue()
        self._index_queues: list[Any] = []
        self._workers: list[Any] = []
        self._task = 0
        fetch_args = (loader._auto_collation, loader.collate_fn, loader.drop_last)
        try:
            for worker_id in range(loader.num_workers):
                index_queue = context.Queue()
                worker = context.Process(
                    target=worker_loop,
                    args=(
                        loader.dataset,
                        index_queue,
                        self._data_queue,
                        fetch_args,
                        base_seed + worker_id,
                        loader.worker_init_fn,
                        worker_id,
                        loader.num_workers,
                    ),
                    daemon=True,
                )
                worker.start()
                self._index_queues.append(index_queue)
                self._workers.append(worker)
        except BaseException:
            self.shutdown()
            raise
        self._start_epoch(first=True)

    def _start_epoch(self, first: bool = False) -> None:
        if not first:
            for index_queue in self._index_queues:
                index_queue.put("reset")
        self._requests = iter(self._index_sampler)
        self._active = [True] * len(self._workers)
        self._next_worker = itertools.cycle(range(len(self._workers)))
        self._owner: dict[int, int] = {}  # task -> worker, for tasks not yet delivered
        self._ready: dict[int, tuple[str, Any]] = {}  # answers not yet delivered
        self._epoch_done = False
        for _ in range(self._prefetch):
            self._send()

    def reset(self) -> None:
        """Start the next epoch with the same workers (``persistent_workers``)."""
        self._start_epoch()

    def __iter__(self) -> MultiProcessIterator:
        return self

    def _send(self) -> None:
        """Send the next request to the next active worker, if both exist. Task numbers keep
        growing across epochs, so a late answer from an abandoned epoch is recognised."""
        if self._epoch_done or not any(self._active):
            return
        try:
            request = next(self._requests)
        except StopIteration:
            self._epoch_done = True
            return
        worker = next(w for w in self._next_worker if self._active[w])
        self._index_queues[worker].put((self._task, request))
        self._owner[self._task] = worker
        self._task += 1

    def __next__(self) -> Any:
        try:
            return self._next()
        except StopIteration:
            if not self._persistent:
                self.shutdown()
            raise
        except BaseException:  # a worker's error, a timeout, Ctrl-C: no worker outlives it
            self.shutdown(_GRACE_S)
            raise

    def _next(self) -> Any:
        while True:
            for task, worker in list(self._owner.items()):
                if task not in self._ready and not self._active[worker]:
                    del self._owner[task]  # its worker's iterable ran out: no answer will come
            if not self._owner:
                raise StopIteration
            task = min(self._owner) if self._in_order else next(iter(self._ready), -1)
            if task not in self._ready:
                self._wait()
                continue
            kind, payload = self._ready.pop(task)
            worker = self._owner.pop(task)
            if kind == "end":  # this worker's IterableDataset copy ran out
                self._active[worker] = False
                continue
            self._send()
            if kind == "error":
                reraise(payload)
            return decode(payload)

    def _wait(self) -> None:
        """Move one answer from the shared queue into ``_ready``, watching the workers and the
        ``timeout`` meanwhile."""
        start = time.monotonic()
        while True:
            waited = time.monotonic() - start
            if self._timeout > 0 and waited >= self._timeout:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            limit = _POLL_S if self._timeout <= 0 else min(_POLL_S, self._timeout - waited)
            try:
                task, kind, payload = self._data_queue.get(timeout=limit)
            except queue.Empty:
                self._check_workers()
                continue
            if task in self._owner:  # answers of a previous epoch's tasks do not count
                self._ready[task] = (kind, payload)
                return

    def _check_workers(self) -> None:
        dead = [w for w in self._workers if not w.is_alive()]
        if dead:
            pids = ", ".join(str(w.pid) for w in dead)
            codes = ", ".join(str(w.exitcode) for w in dead)
            raise RuntimeError(
                f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit codes {codes})"
            )

    def shutdown(self, grace: float = _JOIN_S) -> None:
        """Stop the workers: ask, wait up to ``grace`` seconds, then terminate. Idempotent."""
        if not getattr(self, "_workers", None):
            return
        for index_queue in self._index_queues:
            with contextlib.suppress(OSError, ValueError):
                index_queue.put(None)
        deadline = time.monotonic() + grace
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in (*self._index_queues, self._data_queue):
            q.cancel_join_thread()
            q.close()
        self._workers, self._index_queues = [], []

    def __del__(self) -> None:
        self.shutdown()
