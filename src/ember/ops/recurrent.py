"""``recurrence``: one direction of one recurrent layer over a whole (packed) sequence, one op.

The input's share of the gates, ``gx = x W_ih^T + b_ih``, is computed beforehand for all time
steps with one matrix product; the op runs the time loop: each step is one product with W_hh and
the cell's fused gate arithmetic (``recurrent_cells``). Rows are in the packed layout of
``PackedSequence``: step t holds ``batch_sizes[t]`` rows (a dense (T, B) sequence is T steps of B
rows). Each output row holds the new hidden state, and for the LSTM the cell state after it.

Backward on arrays is backpropagation through time with the weight gradients summed in one
product over all rows; the differentiable rule (``create_graph``) and forward mode differentiate
the same loop written with tensor ops.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from ..autograd.engine import grad as autograd_grad
from ..autograd.forward_ad import jvp_call
from ..autograd.function import Op
from ..autograd.grad_mode import enable_grad, state
from ..backend import xp
from .linalg import matmul
from .recurrent_cells import CELLS, Buffers
from .shape import cat

__all__ = ["recurrence"]


def _steps(batch_sizes: tuple[int, ...], reverse: bool) -> list[tuple[slice, int]]:
    """(rows, batch) of each time step in the order they are processed."""
    offsets = accumulate(batch_sizes, initial=0)
    steps = [(slice(o, o + b), b) for o, b in zip(offsets, batch_sizes)]
    return steps[::-1] if reverse else steps


def _previous(state: Any, init: Any, done: int | None, b: int, join: Any) -> Any:
    """The state a step of ``b`` rows starts from: the last step's (``done`` rows), extended by
    ``join`` with rows of the initial state for sequences that start here (the reverse direction
    of a packed sequence)."""
    if done is None:
        return init[:b]
    if b <= done:
        return state[:b]
    return join([state, init[done:b]])


class Recurrence(Op):
    """out = the cell's states over all steps;  backward is backpropagation through time."""

    @staticmethod
    def forward(ctx, gx, h0, c0, w_hh, b_hh, w_hr, mode, batch_sizes, reverse):
        cell = CELLS[mode]
        hidden = w_hh.shape[0] // cell.gates
        size = h0.shape[1]  # proj_size or hidden_size
        width = size + (hidden if c0 is not None else 0)
        buf = Buffers(
            xp.empty((gx.shape[0], cell.acts * hidden), gx.dtype) if cell.acts else None,
            xp.empty((gx.shape[0], width), gx.dtype),
            w_hr,
        )
        h_prev = xp.empty((gx.shape[0], size), gx.dtype)
        c_prev = xp.empty((gx.shape[0], hidden), gx.dtype) if c0 is not None else None
        h = c = done = None
        for rows, b in _steps(batch_sizes, reverse):
            h = h_prev[rows] = _previous(h, h0, done, b, xp.concatenate)
            if c0 is not None:
                c = c_prev[rows] = _previous(c, c0, done, b, xp.concatenate)
            gh = h @ w_hh.T
            if b_hh is not None:
                gh += b_hh
            cell.step_arrays(buf, rows, gx[rows], gh, h, c)
            h = buf.out[rows, :size]
            c = buf.out[rows, size:]
            done = b
        ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        ctx.buf, ctx.h_prev, ctx.c_prev = buf, h_prev, c_prev
        ctx.save_for_backward(gx, h0, c0, w_hh, b_hh, w_hr)
        return buf.out

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return _backward_arrays(ctx, grad_out)

    @staticmethod
    def backward(ctx, grad_out):
        inputs = ctx.saved_tensors
        needs = ctx.needs_input_grad[:6]
        create = state.grad_enabled
        with enable_grad():
            xs = [_alias(x, need, create) for x, need in zip(inputs, needs)]
            out = _loop(ctx, *xs)
            wanted = [x for x, need in zip(xs, needs) if need]
            found = iter(
                autograd_grad(out, wanted, grad_out, create_graph=create, allow_unused=True)
            )
        return (*(next(found) if need else None for need in needs), None, None, None)

    @staticmethod
    def jvp(ctx, *tangents):
        inputs = ctx.saved_tensors
        used = [k for k, x in enumerate(inputs) if x is not None]

        def run(*xs: Any) -> Any:
            full = list(inputs)
            for k, x in zip(used, xs):
                full[k] = x
            return _loop(ctx, *full)

        return jvp_call(run, tuple(inputs[k] for k in used), tuple(tangents[k] for k in used))[1]


def _alias(x: Any, need: bool, create: bool) -> Any:
    """An input to differentiate the tensor loop by: connected to the graph under create_graph
    (a fresh node, so that one tensor passed twice still gets two gradients), else a leaf."""
    if x is None or not need:
        return x
    return x.clone() if create else x.detach().requires_grad_()


def _loop(ctx: Any, gx: Any, h0: Any, c0: Any, w_hh: Any, b_hh: Any, w_hr: Any) -> Any:
    """The forward written with tensor ops (what the higher-order and jvp rules differentiate)."""
    cell = CELLS[ctx.mode]
    steps = _steps(ctx.batch_sizes, ctx.reverse)
    outs = []
    h = c = done = None
    for rows, b in steps:
        h = _previous(h, h0, done, b, cat)
        c = None if c0 is None else _previous(c, c0, done, b, cat)
        gh = matmul(h, w_hh.mT)
        if b_hh is not None:
            gh = gh + b_hh
        h, c = cell.step_tensors(gx[rows], gh, h, c, w_hr)
        outs.append(h if c is None else cat([h, c], -1))
        done = b
    return cat(outs[::-1] if ctx.reverse else outs, 0)


def _backward_arrays(ctx: Any, grad_out: Any) -> tuple:
    gx, h0, c0, w_hh, _, w_hr = ctx.saved_arrays
    cell = CELLS[ctx.mode]
    buf = ctx.buf
    size = h0.shape[1]
    buf.dgx = xp.empty_like(gx)
    buf.dgh = xp.empty_like(gx) if cell is CELLS["GRU"] else buf.dgx
    if w_hr is not None:
        buf.dh_rows = xp.empty((gx.shape[0], size), gx.dtype)
        buf.m_rows = xp.empty((gx.shape[0], w_hr.shape[1]), gx.dtype)
    dh0 = xp.zeros_like(h0)
    dc0 = None if c0 is None else xp.zeros_like(c0)
    carry_h = carry_c = None
    steps = _steps(ctx.batch_sizes, ctx.reverse)
    for k in range(len(steps) - 1, -1, -1):
        rows, b = steps[k]
        dh = grad_out[rows, :size].copy()
        dc = None if c0 is None else grad_out[rows, size:].copy()
        if carry_h is not None:
            n = carry_h.shape[0]
            dh[:n] += carry_h
            if dc is not None:
                dc[:n] += carry_c
        h = ctx.h_prev[rows]
        c = None if c0 is None else ctx.c_prev[rows]
        direct, dc_prev = cell.back_arrays(buf, rows, dh, dc, h, c)
        dh_prev = buf.dgh[rows] @ w_hh
        if direct is not None:
            dh_prev += direct
        done = steps[k - 1][1] if k else 0  # rows the step before carries; the rest start here
        carry_h, carry_c = dh_prev[:done], (None if dc_prev is None else dc_prev[:done])
        dh0[done:b] += dh_prev[done:]
        if dc0 is not None:
            dc0[done:b] += dc_prev[done:]
    needs = ctx.needs_input_grad
    h_prev = ctx.h_prev
    return (
        buf.dgx if needs[0] else None,
        dh0 if needs[1] else None,
        dc0 if needs[2] else None,
        buf.dgh.T @ h_prev if needs[3] else None,
        buf.dgh.sum(0) if needs[4] else None,
        buf.dh_rows.T @ buf.m_rows if needs[5] else None,
        None,
        None,
        None,
    )


def recurrence(
    gx: Any,
    h0: Any,
    c0: Any,
    w_hh: Any,
    b_hh: Any,
    w_hr: Any,
    mode: str,
    batch_sizes: tuple[int, ...],
    reverse: bool = False,
) -> Any:
    """The states of one recurrent layer direction over a packed sequence.

    gx (N, gates * hidden) is the input's share of the gates for N = sum(batch_sizes) rows, h0
    (B, size) and c0 (B, hidden) (LSTM only, else None) the initial states; returns (N, size) or,
    for the LSTM, (N, size + hidden) with the cell state after the hidden state.
    """
    if mode not in CELLS:
        raise ValueError(f"recurrence: unknown mode {mode!r}; expected one of {sorted(CELLS)}")
    if (mode == "LSTM") != (c0 is not None):
        raise ValueError(f"recurrence: c0 is required for an LSTM and only for it (mode {mode})")
    return Recurrence.apply(gx, h0, c0, w_hh, b_hh, w_hr, mode, tuple(batch_sizes), reverse)
