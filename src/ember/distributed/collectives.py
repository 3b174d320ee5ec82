"""Collectives on tensors, with ``torch.distributed``'s names and in-place semantics.

Every tensor travels as a typed MPI buffer (the NumPy array itself, never a pickle). Reductions of
float16/bfloat16 run in float32 (MPI has no portable 16-bit float type) and are rounded back.
Objects travel in ember's safetensors format (``ember.save``), so they are the values that
``ember.save`` accepts: tensors, arrays, numbers, strings, None and nested lists/tuples/dicts.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .group import ProcessGroup, mpi, resolve


class ReduceOp(enum.Enum):
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine the ranks' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """The handle of a collective (``async_op=True``): ``wait()`` completes it."""

    def __init__(self, requests: Sequence[Any] = (), finish: Callable[[], None] | None = None):
        self._requests = list(requests)
        self._finish = finish
        self._done = not self._requests and finish is None

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            if self._requests:
                mpi().Request.Waitall(self._requests)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def is_completed(self) -> bool:
        if not self._done and self._requests and not mpi().Request.Testall(self._requests):
            return False
        if not self._done:
            self.wait()
        return True

    def is_success(self) -> bool:
        return self.is_completed()


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def _array(tensor: Any, name: str, what: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: {what} must be an ember.Tensor, got {type(tensor).__name__}")
    return tensor._data


_MPI_OPS: dict[ReduceOp, Any] = {}


def _mpi_op(op: ReduceOp) -> Any:
    if not _MPI_OPS:
        MPI = mpi()
        ops = (MPI.SUM, MPI.SUM, MPI.PROD, MPI.MIN, MPI.MAX)
        _MPI_OPS.update(zip(ReduceOp, ops))
    return _MPI_OPS[op]


def _reduction(data: np.ndarray, op: ReduceOp, name: str) -> tuple[np.ndarray, ReduceOp]:
    """A contiguous buffer to reduce ``data`` in, and the op to reduce it with."""
    if not isinstance(op, ReduceOp):
        raise ValueError(f"{name}: op must be an ember.distributed.ReduceOp, got {op!r}")
    kind = data.dtype.kind
    if kind == "b":  # SUM/MAX of booleans is OR, PRODUCT/MIN is AND
        return data.astype(np.uint8), ReduceOp.MAX if op in (
            ReduceOp.SUM,
            ReduceOp.MAX,
        ) else ReduceOp.MIN
    if op is ReduceOp.AVG and kind not in "fc":
        raise TypeError(f"{name}: ReduceOp.AVG needs a floating tensor, got dtype {data.dtype}")
    if kind == "f" and data.dtype.itemsize < 4:
        return data.astype(np.float32), op
    return (data if data.flags.c_contiguous else np.ascontiguousarray(data)), op


def _write_back(data: np.ndarray, buf: np.ndarray, op: ReduceOp, size: int) -> None:
    """Finish a reduction: divide for AVG, and copy into ``data`` when ``buf`` is a copy."""
    if op is ReduceOp.AVG:
        np.divide(buf, size, out=buf, casting="unsafe")
    if buf is not data:
        data[...] = buf


def all_reduce(
    tensor: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result in place."""
    g = resolve(group)
    data = _array(tensor, "all_reduce")
    buf, how = _reduction(data, op, "all_reduce")
    size = g.size()
    if g.comm is None or size == 1:
        _write_back(data, buf, op, 1)
        return _finish(Work(), async_op)
    if not async_op:
        g.comm.Allreduce(mpi().IN_PLACE, buf, _mpi_op(how))
        _write_back(data, buf, op, size)
        return None
    request = g.comm.Iallreduce(mpi().IN_PLACE, buf, _mpi_op(how))
    return Work([request], lambda: _write_back(data, buf, op, size))


def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Combine ``tensor`` over all ranks into rank ``dst``'s tensor (the others are unchanged)."""
    g = resolve(group)
    root = _root(g, dst, group_dst, "reduce", "dst")
    data = _array(tensor, "reduce")
    buf, how = _reduction(data, op, "reduce")
    if g.comm is not None and g.size() > 1:
        send = mpi().IN_PLACE if g.rank() == root else buf
        g.comm.Reduce(send, buf if g.rank() == root else None, _mpi_op(how), root=root)
    if g.rank() == root:
        _write_back(data, buf, op, g.size())
    return _finish(Work(), async_op)


def broadcast(
    tensor: Tensor,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into the same tensor on every rank."""
    g = resolve(group)
    root = _root(g, src, group_src, "broadcast", "src")
    data = _array(tensor, "broadcast")
    if g.comm is None or g.size() == 1:
        return _finish(Work(), async_op)
    buf = data if data.flags.c_contiguous else np.ascontiguousarray(data)
    request = g.comm.Ibcast(buf.reshape(-1).view(np.uint8), root=root)

    def write_back() -> None:
        if buf is not data:
            data[...] = buf

    return _finish(Work([request], write_back), async_op)


def all_gather(
    tensor_list: list[Tensor],
    tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Every rank gets every rank's ``tensor``: ``tensor_list[r]`` is rank r's."""
    g = resolve(group)
    data = _array(tensor, "all_gather")
    _check_list(tensor_list, g.size(), data, "all_gather", "tensor_list")
    gathered = _allgather_array(g, data)
    for r, t in enumerate(tensor_list):
        t._data[...] = gathered[r]
    return _finish(Work(), async_op)


def all_gather_into_tensor(
    output_tensor: Tensor,
    input_tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """The ranks' ``input_tensor`` concatenated along dim 0 (or stacked) into ``output_tensor``."""
    g = resolve(group)
    data = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
    out = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
    size = g.size()
    stacked = (size, *data.shape)
    concatenated = (size * data.shape[0], *data.shape[1:]) if data.ndim else None
    if out.dtype != data.dtype or out.shape not in (stacked, concatenated):
        raise ValueError(
            f"all_gather_into_tensor: output of shape {tuple(out.shape)} and dtype {out.dtype} "
            f"does not hold {size} inputs of shape {tuple(data.shape)} and dtype {data.dtype}"
        )
    out[...] = _allgather_array(g, data).reshape(out.shape)
    return _finish(Work(), async_op)


def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``input_list[r]`` over all ranks into rank r's ``output``."""
    g = resolve(group)
    out = _array(output, "reduce_scatter", "output")
    _check_list(input_list, g.size(), out, "reduce_scatter", "input_list")
    stacked = np.stack([t._data for t in input_list])
    _reduce_scatter_into(g, stacked, out, op, "reduce_scatter")
    return _finish(Work(), async_op)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``input`` (every rank's ``output`` stacked or concatenated along dim 0) over all
    ranks, and give rank r its block in ``output``."""
    g = resolve(group)
    out = _array(output, "reduce_scatter_tensor", "output")
    data = _array(input, "reduce_scatter_tensor", "input")
    size = g.size()
    if data.dtype != out.dtype or data.size != size * out.size:
        raise ValueError(
            f"reduce_scatter_tensor: input of shape {tuple(data.shape)} and dtype {data.dtype} "
            f"is not {size} blocks of the output's shape {tuple(out.shape)} and dtype {out.dtype}"
        )
    _reduce_scatter_into(g, data.reshape(size, *out.shape), out, op, "reduce_scatter_tensor")
    return _finish(Work(), async_op)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Rank ``dst`` gets every rank's ``tensor`` in ``gather_list``."""
    g = resolve(group)
    root = _root(g, dst, group_dst, "gather", "dst")
    data = np.ascontiguousarray(_array(tensor, "gather"))
    if g.rank() == root:
        _check_list(gather_list, g.size(), data, "gather", "gather_list")
    elif gather_list:
        raise ValueError("gather: gather_list must be given on the destination rank only")
    if g.comm is None or g.size() == 1:
        received = data[None]
    else:
        received = np.empty((g.size(), *data.shape), data.dtype) if g.rank() == root else None
        g.comm.Gather(_bytes(data), None if received is None else _bytes(received), root=root)
    if g.rank() == root:
        for r, t in enumerate(gather_list or ()):
            t._data[...] = received[r]
    return _finish(Work(), async_op)


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Rank r gets ``scatter_list[r]`` of rank ``src`` in ``tensor``."""
    g = resolve(group)
    root = _root(g, src, group_src, "scatter", "src")
    data = _array(tensor, "scatter")
    if g.rank() == root:
        _check_list(scatter_list, g.size(), data, "scatter", "scatter_list")
        send = np.stack([t._data for t in scatter_list or ()])
    elif scatter_list:
        raise ValueError("scatter: scatter_list must be given on the source rank only")
    else:
        send = None
    if g.comm is None or g.size() == 1:
        data[...] = send[0]
    else:
        recv = np.empty(data.shape, data.dtype)
        g.comm.Scatter(None if send is None else _bytes(send), _bytes(recv), root=root)
        data[...] = recv
    return _finish(Work(), async_op)


def barrier(
    group: ProcessGroup | None = None,
    async_op: bool = False,
    device_ids: Any = None,
    timeout: Any = None,
) -> Work | None:
    """Wait until every rank of ``group`` has reached this call."""
    g = resolve(group)
    if g.comm is not None and g.size() > 1:
        g.comm.Barrier()
    return _finish(Work(), async_op)


def sum_over_ranks(group: ProcessGroup | None, *values: float) -> list[Any]:
    """Each Python number summed over the ranks in one allreduce (ints stay ints)."""
    sums = Tensor._make(np.array(values, dtype=np.float64), None, False)
    all_reduce(sums, group=group)
    return [int(v) if isinstance(x, int) else float(v) for x, v in zip(values, sums._data)]


# --------------------------------------------------------------------------------- objects
def broadcast_object_list(
    object_list: list[Any],
    src: int | None = None,
    group: ProcessGroup | None = None,
    device: Any = None,
    group_src: int | None = None,
) -> None:
    """Replace ``object_list``'s items on every rank by those of rank ``src`` (in place)."""
    g = resolve(group)
    root = _root(g, src, group_src, "broadcast_object_list", "src")
    if g.comm is None or g.size() == 1:
        return
    payload = _encode(list(object_list)) if g.rank() == root else None
    length = np.array([0 if payload is None else len(payload)], np.int64)
    g.comm.Bcast(length, root=root)
    buf = np.frombuffer(payload, np.uint8).copy() if payload else np.empty(length[0], np.uint8)
    g.comm.Bcast(buf, root=root)
    object_list[:] = _decode(buf.tobytes())


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """``object_list[r]`` becomes rank r's ``obj`` on every rank."""
    g = resolve(group)
    if len(object_list) != g.size():
        raise ValueError(
            f"all_gather_object: object_list has {len(object_list)} items but the group has "
            f"{g.size()} ranks"
        )
    object_list[:] = [_decode(b)[0] for b in allgather_bytes(g, _encode([obj]))]


def allgather_bytes(g: ProcessGroup, payload: bytes) -> list[bytes]:
    """Every rank's ``payload``, in rank order (a typed byte buffer, sizes exchanged first)."""
    if g.comm is None or g.size() == 1:
        return [payload]
    sizes = np.empty(g.size(), np.int64)
    g.comm.Allgather(np.array([len(payload)], np.int64), sizes)
    received = np.empty(int(sizes.sum()), np.uint8)
    sent = np.frombuffer(payload, np.uint8)
    g.comm.Allgatherv(sent, [received, sizes, mpi().BYTE])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return [received[offsets[r] : offsets[r + 1]].tobytes() for r in range(g.size())]


def _encode(objects: list[Any]) -> bytes:
    from ..io import save

    buffer = io.BytesIO()
    save(objects, buffer)
    return buffer.getvalue()


def _decode(payload: bytes) -> Any:
    from ..io import load

    return load(io.BytesIO(payload))


# --------------------------------------------------------------------------------- helpers
def _root(g: ProcessGroup, rank: int | None, group_rank: int | None, name: str, what: str) -> int:
    root = group_rank if rank is None else rank
    if rank is not None and group_rank is not None:
        raise ValueError(f"{name}: give {what} or group_{what}, not both")
    root = 0 if root is None else root
    if not 0 <= root < g.size():
        raise ValueError(f"{name}: {what}={root} is not a rank of a group of {g.size()}")
    return root


def _check_list(tensors: Any, size: int, like: np.ndarray, name: str, what: str) -> None:
    if tensors is None or len(tensors) != size:
        n = 0 if tensors is None else len(tensors)
        raise ValueError(f"{name}: {what} has {n} tensors but the group has {size} ranks")
    for r, t in enumerate(tensors):
        d = _array(t, name, f"{what}[{r}]")
        if d.shape != like.shape or d.dtype != like.dtype:
            raise ValueError(
                f"{name}: {what}[{r}] has shape {tuple(d.shape)} and dtype {d.dtype}, but the "
                f"tensor has shape {tuple(like.shape)} and dtype {like.dtype}"
            )


def _bytes(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1).view(np.uint8)


def _allgather_array(g: ProcessGroup, data: np.ndarray) -> np.ndarray:
    data = np.ascontiguousarray(data)
    if g.comm is None or g.size() == 1:
        return data[None].copy()
    out = np.empty((g.size(), *data.shape), data.dtype)
    g.comm.Allgather(_bytes(data), _bytes(out))
    return out


def _reduce_scatter_into(
    g: ProcessGroup, stacked: np.ndarray, out: np.ndarray, op: ReduceOp, name: str
) -> None:
    buf, how = _reduction(np.ascontiguousarray(stacked), op, name)
    block = np.empty(buf.shape[1:], buf.dtype)
    if g.comm is None or g.size() == 1:
        block[...] = buf[0]
    else:
        g.comm.Reduce_scatter_block(buf, block, _mpi_op(how))
    if op is ReduceOp.AVG:
        np.divide(block, g.size(), out=block, casting="unsafe")
    out[...] = block if out.dtype.kind != "b" else block != 0
