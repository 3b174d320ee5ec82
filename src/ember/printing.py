"""How tensors print: PyTorch's format (four decimals, ``1.`` for whole numbers, scientific notation
for wide ranges, ``...`` summaries past 1,000 elements) and ``set_printoptions``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend, dtypes

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_options: dict = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """PyTorch's print options: digits after the point, the element count past which tensors are
    summarised, items kept at each edge, characters per line, a profile ("default", "short",
    "full"), and ``sci_mode`` (None chooses per tensor)."""
    if profile is not None:
        _options.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems}
    given["linewidth"] = linewidth
    _options.update({k: v for k, v in given.items() if v is not None})
    _options["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options (a copy)."""
    return dict(_options)


class _Formatter:
    """One width and one style (integers, fixed, scientific) for every element, chosen from the
    nonzero finite values as PyTorch does."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        precision = _options["precision"]
        flat = values.reshape(-1)
        if not floating:
            self.width = max([1] + [len(str(v)) for v in flat.tolist()])
        else:
            finite = flat[np.isfinite(flat) & (flat != 0)]
            if finite.size:  # otherwise every element is 0, inf or nan: "0.", "inf", "nan"
                size = np.abs(finite)
                lo, hi = size.min(), size.max()
                self.int_mode = bool(np.all(finite == np.ceil(finite)))
                self.sci_mode = _options["sci_mode"]
                if self.sci_mode is None:
                    self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
                if self.sci_mode:
                    texts = [f"{v:.{precision}e}" for v in finite.tolist()]
                elif self.int_mode:
                    texts = [f"{v:.0f}." for v in finite.tolist()]
                else:
                    texts = [f"{v:.{precision}f}" for v in finite.tolist()]
                self.width = max(len(t) for t in texts)

    def format(self, value: Any) -> str:
        precision = _options["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{precision}f}"
        return " " * (self.width - len(text)) + text


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The elements a summary shows: ``edge`` items at each end of every dim."""
    for axis in range(a.ndim):
        if a.shape[axis] > 2 * edge:
            keep = np.r_[0:edge, a.shape[axis] - edge : a.shape[axis]]
            a = np.take(a, keep, axis=axis)
    return a


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = _options["edgeitems"]
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        per_line = max(1, (_options["linewidth"] - indent) // (fmt.width + 2))
        values = a.tolist()
        if summarize and len(values) > 2 * edge:
            items = [fmt.format(v) for v in values[:edge]] + [" ..."]
            items += [fmt.format(v) for v in values[len(values) - edge :]]
        else:
            items = [fmt.format(v) for v in values]
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(a.shape[0])
    if summarize and a.shape[0] > 2 * edge:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in rows[:edge]] + ["..."]
        parts += [_body(a[i], indent + 1, summarize, fmt) for i in rows[-edge:]]
    else:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(data: np.ndarray, grad_fn: Any, requires_grad: bool) -> str:
    """``tensor([1.0000, 2.0000], requires_grad=True)`` as PyTorch prints it."""
    prefix = "tensor("
    indent = len(prefix)
    floating = dtypes.is_floating(data.dtype)
    values = data.astype(np.float64) if floating else data
    suffixes = []
    default = data.dtype in (backend.default_float(), backend.int64, backend.bool_)
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != backend.default_float():
            suffixes.append(f"dtype={dtypes.from_numpy(data.dtype)}")
    else:
        if not default:
            suffixes.append(f"dtype={dtypes.from_numpy(data.dtype)}")
        summarize = data.size > _options["threshold"]
        shown = _summarized(values, _options["edgeitems"]) if summarize else values
        body = _body(values, indent, summarize, _Formatter(shown, floating))
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line + len(suffix) + 2 > _options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line += len(suffix) + 2
    return "".join(parts) + ")"
