"""No op outside the table: every ``Op`` subclass in ember is reached by a spec, or is declared.

An op counts as covered when it is recorded in the graph of some differentiable spec's forward,
so ``test_opspecs`` gradchecks its backward rule and gradgradchecks (with the incoming gradient
varied) its second-order rule. Ops used only inside backward rules need their own spec
(``specs_adjoint.py``).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import ember
from ember.autograd.function import Node, Op

from .test_opspecs import SPECS

# Ops whose output is never floating, so no gradient flows through them (a reason per entry).
NOT_DIFFERENTIABLE = {
    "ember.ops.compare.Eq": "bool output",
    "ember.ops.compare.Ne": "bool output",
    "ember.ops.compare.Lt": "bool output",
    "ember.ops.compare.Le": "bool output",
    "ember.ops.compare.Gt": "bool output",
    "ember.ops.compare.Ge": "bool output",
    "ember.ops.compare.LogicalAnd": "bool output",
    "ember.ops.compare.LogicalOr": "bool output",
    "ember.ops.compare.LogicalNot": "bool output",
    "ember.ops.compare.LogicalXor": "bool output",
    "ember.ops.compare.IsClose": "bool output",
    "ember.ops.compare.Isnan": "bool output",
    "ember.ops.compare.Isinf": "bool output",
    "ember.ops.compare.Isfinite": "bool output",
    "ember.ops.compare.Isposinf": "bool output",
    "ember.ops.compare.Isneginf": "bool output",
    "ember.ops.extrema.Argmax": "int64 indices",
    "ember.ops.extrema.Argmin": "int64 indices",
    "ember.ops.sorting.SortIndices": "int64 indices",
    "ember.ops.sorting.ModeIndices": "int64 indices",
    "ember.ops.scan.CumExtremeIndices": "int64 indices",
    "ember.ops.nn.ClassCoefficients": "coefficients from integer targets; never given a gradient",
    "ember.ops.args.Constant": "wraps a raw array (indices, counts, samples); never given a tensor",
    "ember.ops.reduce.All": "bool output",
    "ember.ops.reduce.Any_": "bool output",
    "ember.ops.index.OneHot": "int64 output",
    "ember.ops.pooling.MaxPool2dIndices": "int64 indices",
    "ember.ops.random.Dropout": (
        "a random draw: finite differences see a new mask at each call; "
        "tests/ops/test_random.py checks its gradient against the mask it drew"
    ),
    "ember.ops.random.StandardGamma": (
        "a random draw: finite differences of the sampler are not its implicit "
        "reparameterisation gradient, which tests/ops/test_random.py checks against the CDF "
        "identity and torch"
    ),
}
# Bases that only share a forward or helpers with their subclasses; never applied themselves.
BASES = {
    "ember.ops.compare._Compare": "forward of the comparisons",
    "ember.ops.compare._Extremum": "rules of maximum/minimum",
    "ember.ops.elementwise._Pointwise": "shared helpers of unary pointwise ops",
    "ember.ops.incomplete_gamma._IncompleteGamma": "forward and rules of igamma/igammac",
    "ember.ops.loss._PointwiseLoss": "reduction of the pointwise losses",
    "ember.ops.reduce.Reduction": "dim handling of the reductions",
    "ember.ops.extrema._Selection": "forward of amax/amin",
    "ember.ops.extrema._IndexOf": "forward of argmax/argmin",
    "ember.ops.compare._Test": "forward of isnan/isinf/isfinite/...",
    "ember.ops.rounding._Rounding": "forward and zero rule of floor/ceil/trunc/round",
    "ember.ops.rounding._IntegerDivision": "rules of fmod/remainder",
    "ember.ops.pointwise._Unary": "forward of the hyperbolic and inverse trigonometric ops",
    "ember.ops.rounding._RoundedDivision": "forward and zero rule of floor/trunc division",
    "ember.ops.reduce._Truth": "forward of all/any",
}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.cache
def _all_ops() -> frozenset[type]:
    """Every Op subclass, after importing every ember module (optional third-party packages
    that are missing only hide the modules that need them)."""
    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        if info.name.endswith(".__main__"):
            continue  # running it would start the command
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as e:
            if (e.name or "").split(".")[0] == "ember":
                raise
    found: set[type] = set()
    stack = [Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return frozenset(c for c in found if c.__module__.startswith("ember."))


def _ops_recorded(tensors: list) -> set[type]:
    """The op classes of the nodes reachable from ``tensors``' grad_fn."""
    seen: set[Node] = set()
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(e for e in node.next if type(e) is Node)
    return {node.fn for node in seen}


def _covered() -> set[type]:
    ops: set[type] = set()
    for spec in SPECS:
        if not spec.differentiable:
            continue
        for case in spec.cases:
            out = spec.fn(*spec.tensors(case, ember.float64, requires_grad=True))
            outs = out if isinstance(out, (tuple, list)) else [out]
            ops |= _ops_recorded([o for o in outs if isinstance(o, ember.Tensor)])
    return ops


def test_declarations_name_real_ops():
    names = {_qualname(c) for c in _all_ops()}
    stale = sorted((set(NOT_DIFFERENTIABLE) | set(BASES)) - names)
    assert not stale, f"declared but no such Op subclass: {stale}"


def test_every_differentiable_op_has_a_spec():
    declared = set(NOT_DIFFERENTIABLE) | set(BASES)
    covered = _covered()
    missing = sorted(
        _qualname(c) for c in _all_ops() if c not in covered and _qualname(c) not in declared
    )
    assert not missing, (
        f"differentiable ops with no spec in the op-spec table (tests/ops/specs_*.py): {missing}. "
        "Add a spec whose forward records the op (ops used only inside backward rules: "
        "specs_adjoint.py), or declare it in NOT_DIFFERENTIABLE/BASES with a reason."
    )
