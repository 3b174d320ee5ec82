"""Packed and padded sequences (PyTorch's ``torch.nn.utils.rnn``).

A ``PackedSequence`` holds a batch of sequences of different lengths time step by time step:
``data`` has one row per (step, sequence) that exists, step t contributing ``batch_sizes[t]``
rows of the sequences (sorted longest first) still running. The recurrent layers accept it and
skip the padding. Each conversion is one differentiable gather of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ... import backend, creation, ops
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with
    ``pack_padded_sequence`` or ``pack_sequence`` rather than by hand."""

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the index tensors stay as they are (they live on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(backend.float64)

    def float(self) -> PackedSequence:
        return self.to(backend.float32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    perm = np.asarray(permutation._data)
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size)
    return Tensor(out)


def _lengths(lengths: Any) -> np.ndarray:
    values = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    if values.ndim != 1:
        raise ValueError(f"pack_padded_sequence: lengths must be 1-D, got shape {values.shape}")
    return values.astype(np.int64)


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | list[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) of sequences of the given lengths.

    With ``enforce_sorted`` the lengths must decrease; otherwise the batch is sorted here and the
    permutation kept in ``sorted_indices``.
    """
    lens = _lengths(lengths)
    sorted_indices = None
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = Tensor(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lens.size and lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if lens.size and lens[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(lens[0])} exceeds the {steps} padded steps"
        )
    batch_sizes = np.array([(lens > t).sum() for t in range(int(lens[0]) if lens.size else 0)])
    rows = np.concatenate([t * batch + np.arange(b) for t, b in enumerate(batch_sizes)])
    flat = input.reshape(steps * batch, *input.shape[2:])
    return PackedSequence(flat[Tensor(rows.astype(np.int64))], Tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The padded batch (T, B, *) (or (B, T, *)) and the lengths (original batch order) of a
    packed sequence; ``total_length`` pads to that many steps."""
    batch_sizes = np.asarray(sequence.batch_sizes._data, dtype=np.int64)
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    data = sequence.data
    rows = np.full(steps * batch, data.shape[0], dtype=np.int64)  # index of the padding row
    start = 0
    for t, b in enumerate(batch_sizes):
        rows[t * batch : t * batch + b] = np.arange(start, start + b)
        start += b
    pad_row = creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = ops.cat([data, pad_row])[Tensor(rows)].reshape(steps, batch, *data.shape[1:])
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices._data)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor(lengths.astype(np.int64))


def pad_sequence(
    sequences: Tensor | Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences (L_i, *) into (T, B, *) (or (B, T, *)), T the longest length, padding
    with ``padding_value`` after (``padding_side='right'``) or before (``'left'``) each."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    lengths = [s.shape[0] for s in sequences]
    steps, batch = max(lengths), len(sequences)
    data = ops.cat(sequences)
    rows = np.full((batch, steps), data.shape[0], dtype=np.int64)
    start = 0
    for j, n in enumerate(lengths):
        at = slice(0, n) if padding_side == "right" else slice(steps - n, steps)
        rows[j, at] = np.arange(start, start + n)
        start += n
    if not batch_first:
        rows = rows.T
    pad_row = creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    picked = ops.cat([data, pad_row])[Tensor(rows.reshape(-1))]
    return picked.reshape(*rows.shape, *data.shape[1:])


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *); with ``enforce_sorted`` they must be longest first."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor | list[int], batch_first: bool = False
) -> list[Tensor]:
    """The list of sequences (L_i, *) of a padded batch (right padding)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[j, : int(n)] for j, n in enumerate(_lengths(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences (L_i, *) of a packed batch, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
