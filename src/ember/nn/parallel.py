"""``DistributedDataParallel``: one model replicated on every rank, gradients averaged over MPI.

After ``loss.backward()`` every parameter's ``.grad`` holds the mean over the ranks of their local
gradients. Gradients travel in flat buckets (one dtype each, in reverse registration order, the
first at most 1 MiB, the others at most ``bucket_cap_mb``); a bucket is sent with a non-blocking
allreduce as soon as backward has accumulated all its parameters, and buckets are always sent in
the same order on every rank, which MPI requires of collectives.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter

__all__ = ["DataParallel", "DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024
_DEFAULT_BUCKET_MB = 25


class DataParallel(Module):
    """Single-process multi-GPU replication. Without a GPU (always, for ember) it runs the
    wrapped module as is, as PyTorch does on a machine without CUDA devices."""

    def __init__(
        self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0
    ) -> None:
        super().__init__()
        if device_ids:
            raise ValueError(
                f"DataParallel: device_ids {device_ids!r} name GPUs, but ember runs on the CPU only"
            )
        self.module = module
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of ``ember.distributed`` (``mpiexec -n N``).

    At construction the ranks check that they hold the same parameter and buffer names, shapes
    and dtypes (an error names the first difference), then take rank 0's values. ``no_sync()``
    accumulates local gradients without communication; ``find_unused_parameters`` lets a forward
    leave parameters out; ``broadcast_buffers`` copies rank 0's buffers before every forward.
    ``state_dict()`` keys carry the ``module.`` prefix as in PyTorch; ``load_state_dict`` also
    takes a plain state_dict of the wrapped module (no key with the prefix), loading it into
    ``module``.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool | None = True,
        init_sync: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        from .. import distributed as dist

        super().__init__()
        if device_ids is not None or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                f"GPU modules, but got device_ids {device_ids!r}, output_device "
                f"{output_device!r}, and a module on the CPU (ember has no GPU)"
            )
        self.module = module
        self.process_group = dist.group.resolve(process_group)
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers is not False
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        _check_same_model(self.process_group, module)
        if init_sync:
            _broadcast_values(self.process_group, [t for _, t in module.state_dict().items()])
        cap = _DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        self._reducer = _Reducer(named, self.process_group, int(cap * 1024 * 1024))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        group = self.process_group
        if self.broadcast_buffers and group.size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_values(group, buffers)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            reachable = _reachable_leaves(output) if self.find_unused_parameters else None
            self._reducer.prepare(reachable)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates local gradients only; the first backward after it
        averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """Load a state_dict of this wrapper (keys ``module.*``) or, when no key has that prefix,
        a plain state_dict of the wrapped module."""
        if isinstance(state_dict, Mapping) and not any(k.startswith("module.") for k in state_dict):
            return self.module.load_state_dict(state_dict, strict, assign)
        return super().load_state_dict(state_dict, strict, assign)


# ----------------------------------------------------------------------------- the reducer
class _Bucket:
    """Gradients of some parameters of one dtype, sent as one flat buffer."""

    def __init__(self, indices: list[int], params: list[Parameter]) -> None:
        self.indices = indices
        sizes = [params[i]._data.size for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=params[indices[0]]._data.dtype)
        self.pending = 0
        self.request: Any = None


class _Reducer:
    """Counts the parameters that backward has finished, and averages the gradients."""

    def __init__(self, named: list[tuple[str, Parameter]], group: Any, cap_bytes: int) -> None:
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.group = group
        self.buckets = _assign_buckets(self.params, cap_bytes)
        self.bucket_of = {i: b for b in self.buckets for i in b.indices}
        self.active = False  # between a forward that needs sync and the end of its backward
        self.ready = [False] * len(self.params)
        self.used = np.ones(len(self.params), np.int32)
        self.launched = 0
        for i, p in enumerate(self.params):
            p.register_post_accumulate_grad_hook(lambda _p, i=i: self._on_ready(i))

    def prepare(self, reachable: set[int] | None) -> None:
        """Start an iteration: every parameter expected (or, with ``find_unused_parameters``,
        those that the forward's output reaches; the others count as ready with no gradient)."""
        if self.active and any(self.ready):
            missing = [n for n, r in zip(self.names, self.ready) if not r]
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss: "
                + ", ".join(missing)
                + ". Pass find_unused_parameters=True to DistributedDataParallel, or make sure "
                "all forward outputs take part in the loss."
            )
        self.active = True
        self.launched = 0
        self.ready = [False] * len(self.params)
        for b in self.buckets:
            b.pending = len(b.indices)
            b.request = None
        self.used[:] = 1
        if reachable is not None:
            for i, p in enumerate(self.params):
                if id(p) not in reachable:
                    self.used[i] = 0
                    self._on_ready(i)

    def _on_ready(self, i: int) -> None:
        if not self.active or self.ready[i]:
            return
        self.ready[i] = True
        bucket = self.bucket_of[i]
        bucket.pending -= 1
        # Buckets go out in index order on every rank, whatever order backward finished them.
        while self.launched < len(self.buckets) and self.buckets[self.launched].pending == 0:
            self._launch(self.buckets[self.launched])
            self.launched += 1
        if self.launched == len(self.buckets):
            self._finish()

    def _launch(self, bucket: _Bucket) -> None:
        for k, i in enumerate(bucket.indices):
            grad = self.params[i].grad
            piece = bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]]
            if grad is None or not self.used[i]:
                piece[...] = 0
            else:
                piece[...] = grad._data.reshape(-1)
        if self.group.comm is not None and self.group.size() > 1:
            from ..distributed.group import mpi

            bucket.request = self.group.comm.Iallreduce(mpi().IN_PLACE, bucket.buffer, mpi().SUM)

    def _finish(self) -> None:
        self.active = False
        size = self.group.size()
        used = self.used
        if self.group.comm is not None and size > 1 and not used.all():
            from ..distributed.group import mpi

            used = used.copy()
            self.group.comm.Allreduce(mpi().IN_PLACE, used, mpi().MAX)
        for bucket in self.buckets:
            if bucket.request is not None:
                bucket.request.Wait()
            np.divide(bucket.buffer, size, out=bucket.buffer, casting="unsafe")
            for k, i in enumerate(bucket.indices):
                if used[i]:
                    _set_grad(
                        self.params[i], bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]]
                    )


def _set_grad(param: Parameter, flat: np.ndarray) -> None:
    value = flat.reshape(param._data.shape)
    grad = param.grad
    if grad is not None and grad._data.flags.writeable and grad._data.shape == value.shape:
        grad._data[...] = value
    else:
        param.grad = Tensor._make(value.copy(), None, False)


def _assign_buckets(params: list[Parameter], cap_bytes: int) -> list[_Bucket]:
    """Reverse registration order, one dtype per bucket, the first bucket at most 1 MiB."""
    buckets: list[_Bucket] = []
    open_: dict[Any, tuple[list[int], int]] = {}
    for i in reversed(range(len(params))):
        data = params[i]._data
        indices, size = open_.get(data.dtype, ([], 0))
        indices.append(i)
        size += data.nbytes
        limit = min(_FIRST_BUCKET_BYTES, cap_bytes) if not buckets else cap_bytes
        if size >= limit:
            buckets.append(_Bucket(indices, params))
            indices, size = [], 0
        open_[data.dtype] = (indices, size)
    for indices, _ in open_.values():
        if indices:
            buckets.append(_Bucket(indices, params))
    return buckets


# ----------------------------------------------------------------------------- construction
def _check_same_model(group: Any, module: Module) -> None:
    """Raise on every rank, naming the first difference, when the ranks' models differ."""
    from ..distributed.collectives import allgather_bytes

    mine = [
        [kind, name, list(t.shape), str(t.dtype)]
        for kind, items in (
            ("parameter", module.named_parameters()),
            ("buffer", module.named_buffers()),
        )
        for name, t in items
    ]
    others = [json.loads(b) for b in allgather_bytes(group, json.dumps(mine).encode())]
    reference = others[0]
    for rank, theirs in enumerate(others[1:], start=1):
        for ref, item in zip(reference, theirs):
            if ref != item:
                raise RuntimeError(
                    f"DistributedDataParallel: the model on rank {rank} differs from rank 0's: "
                    f"rank 0 has {ref[0]} '{ref[1]}' of shape {tuple(ref[2])} and dtype {ref[3]}, "
                    f"rank {rank} has {item[0]} '{item[1]}' of shape {tuple(item[2])} and dtype "
                    f"{item[3]}"
                )
        if len(theirs) != len(reference):
            raise RuntimeError(
                f"DistributedDataParallel: the model on rank {rank} has {len(theirs)} parameters "
                f"and buffers, rank 0's has {len(reference)}"
            )


def _broadcast_values(group: Any, tensors: list[Tensor]) -> None:
    """Copy rank 0's values into ``tensors`` on every rank (one message per dtype)."""
    if group.comm is None or group.size() == 1:
        return
    by_dtype: dict[Any, list[Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype, group_tensors in by_dtype.items():
        flat = np.concatenate([t._data.reshape(-1) for t in group_tensors]).astype(dtype)
        group.comm.Bcast(flat.view(np.uint8), root=0)
        offset = 0
        for t in group_tensors:
            n = t._data.size
            t._data[...] = flat[offset : offset + n].reshape(t._data.shape)
            offset += n


def _reachable_leaves(output: Any) -> set[int]:
    """ids of the leaf tensors that the graph of ``output`` (tensors in any nesting) reaches."""
    stack = list(_tensors(output))
    leaves: set[int] = set()
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Tensor):
            if item.grad_fn is None:
                leaves.add(id(item))
            else:
                stack.append(item.grad_fn)
        else:
            stack.extend(e for e in item.next if e is not None)
    return leaves


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)
