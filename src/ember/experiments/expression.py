"""A restricted evaluator for functions of one variable, such as ``sin(3*x) + 0.3*x**2``.

The text is parsed with ``ast`` and only numbers, the name ``x``, the constants ``pi`` and ``e``,
the arithmetic operators and calls of the NumPy functions in ``FUNCTIONS`` are accepted; the tree
is then walked and evaluated on an array of x values. Nothing is ever passed to ``eval``, so no
attribute, import, subscript or other name can be reached.

>>> Expression("sin(3*x) + 0.3*x**2")(np.array([0.0, 1.0])).round(4).tolist()
[0.0, 0.4411]
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import numpy as np

__all__ = ["CONSTANTS", "FUNCTIONS", "Expression", "ExpressionError"]

_NAMES = (
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh exp expm1 log "
    "log1p log2 log10 sqrt cbrt abs sign floor ceil round maximum minimum hypot arctan2"
)
FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {n: getattr(np, n) for n in _NAMES.split()}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
    ast.Mod: np.mod,
}
_UNARY: dict[type, Callable[[np.ndarray], np.ndarray]] = {
    ast.USub: np.negative,
    ast.UAdd: np.positive,
}
_MAX_NODES = 200
_MAX_CHARS = 1000


class ExpressionError(ValueError):
    """The text is not an allowed expression of x."""


class Expression:
    """A parsed expression of ``x``; call it with an array of x values (float64)."""

    def __init__(self, text: str) -> None:
        self.text = text
        if len(text) > _MAX_CHARS:
            raise ExpressionError(f"the expression is too long (at most {_MAX_CHARS} characters)")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as e:
            raise ExpressionError(f"cannot parse {text!r}: {e.msg}") from None
        if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
            raise ExpressionError(f"{text!r} is too long (at most {_MAX_NODES} syntax nodes)")
        self._check(tree.body)
        self._tree = tree.body

    def _check(self, node: ast.AST) -> None:
        """Raise ExpressionError at the first node outside the allowed grammar."""
        stack = [node]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
                stack += [node.left, node.right]
            elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
                stack.append(node.operand)
            elif isinstance(node, ast.Constant):
                if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                    raise ExpressionError(f"{self.text!r}: only numbers are allowed as constants")
            elif isinstance(node, ast.Name):
                if node.id != "x" and node.id not in CONSTANTS:
                    raise ExpressionError(
                        f"{self.text!r}: unknown name {node.id!r}; the variable is x and the "
                        f"constants are {', '.join(CONSTANTS)}"
                    )
            elif isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                    what = node.func.id if isinstance(node.func, ast.Name) else "this call"
                    raise ExpressionError(
                        f"{self.text!r}: {what!r} is not an allowed function; choose from "
                        f"{', '.join(FUNCTIONS)}"
                    )
                arity = getattr(FUNCTIONS[node.func.id], "nin", 1)
                if node.keywords or len(node.args) != arity:
                    raise ExpressionError(
                        f"{self.text!r}: {node.func.id}() takes {arity} positional "
                        f"argument{'s' if arity > 1 else ''}"
                    )
                stack += node.args
            else:
                raise ExpressionError(
                    f"{self.text!r}: {type(node).__name__} is not allowed; use numbers, x, "
                    "+ - * / ** % and functions such as sin(x)"
                )

    def _value(self, node: ast.AST, x: np.ndarray) -> np.ndarray:
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._value(node.left, x), self._value(node.right, x))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._value(node.operand, x))
        if isinstance(node, ast.Constant):
            return np.float64(node.value)  # floats, so 10**10**10 overflows instead of hanging
        if isinstance(node, ast.Name):
            return x if node.id == "x" else np.float64(CONSTANTS[node.id])
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return FUNCTIONS[node.func.id](*(self._value(a, x) for a in node.args))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The values at ``x`` (same shape, float64); ExpressionError if any is not finite."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = np.broadcast_to(self._value(self._tree, x), x.shape).astype(np.float64)
        if not np.isfinite(y).all():
            bad = x[~np.isfinite(y)][0]
            raise ExpressionError(f"{self.text!r} is not finite at x = {bad:g}")
        return y

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"
