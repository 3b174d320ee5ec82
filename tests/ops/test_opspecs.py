"""Generic tests derived from every family's op specs (see harness.py)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.gradcheck import gradcheck, gradgradcheck

from . import (
    specs_adjoint,
    specs_attention,
    specs_conv,
    specs_elementwise,
    specs_index,
    specs_linalg,
    specs_more,
    specs_nn,
    specs_recurrent,
    specs_reduce,
    specs_scan,
    specs_shape,
    specs_special,
    specs_triangular,
)
from .harness import case_id, ids

SPECS = [
    *specs_elementwise.SPECS,
    *specs_reduce.SPECS,
    *specs_linalg.SPECS,
    *specs_shape.SPECS,
    *specs_index.SPECS,
    *specs_nn.SPECS,
    *specs_scan.SPECS,
    *specs_more.SPECS,
    *specs_conv.SPECS,
    *specs_special.SPECS,
    *specs_triangular.SPECS,
    *specs_adjoint.SPECS,
    *specs_recurrent.SPECS,
    *specs_attention.SPECS,
]
ALL = ids(SPECS)
DIFF = [(s, c) for s, c in ALL if s.differentiable]
GRADGRAD = [(s, c) for s, c in DIFF if s.gradgrad]


def first_case_fast(pairs: list) -> list:
    """Each spec's first case as a fast test, its other cases (broadcast pairs, 0-d, size-1,
    empty) marked slow, which ``make test`` runs too: the checks are dear, and one case per spec
    already runs every op's rule."""
    seen: set[int] = set()
    params = []
    for spec, case in pairs:
        params.append(
            pytest.param(spec, case, marks=[pytest.mark.slow] if id(spec) in seen else [])
        )
        seen.add(id(spec))
    return params


@pytest.mark.parametrize(("spec", "case"), ALL, ids=case_id)
def test_forward_matches_numpy(spec, case):
    xs = spec.tensors(case, ember.float64, requires_grad=False)
    out = spec.fn(*xs)
    expected = spec.ref(*spec.arrays(case))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-7, atol=1e-10)
    assert out.shape == np.shape(expected)


@pytest.mark.parametrize(("spec", "case"), first_case_fast(DIFF), ids=case_id)
def test_gradcheck(spec, case):
    xs = spec.tensors(case, ember.float64, requires_grad=True)
    assert gradcheck(
        spec.fn, xs, eps=spec.eps, atol=spec.atol, rtol=spec.rtol, check_forward_ad=spec.jvp
    )


@pytest.mark.parametrize(("spec", "case"), first_case_fast(GRADGRAD), ids=case_id)
def test_gradgradcheck(spec, case):
    xs = spec.tensors(case, ember.float64, requires_grad=True)
    assert gradgradcheck(spec.fn, xs, eps=spec.eps, atol=spec.atol, rtol=spec.rtol)


@pytest.mark.parametrize(("spec", "case"), first_case_fast(DIFF), ids=case_id)
def test_no_graph_under_no_grad(spec, case):
    xs = spec.tensors(case, ember.float32, requires_grad=True)
    with ember.no_grad():
        out = spec.fn(*xs)
    assert out.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize(("spec", "case"), first_case_fast(DIFF), ids=case_id)
def test_float32_stays_float32(spec, case):
    xs = spec.tensors(case, ember.float32, requires_grad=True)
    out = spec.fn(*xs)
    assert out.dtype == ember.float32
    if out.requires_grad and out.numel():
        out.sum().backward()
        for x in xs:
            if x.requires_grad and x.grad is not None:
                assert x.grad.dtype == ember.float32


@pytest.mark.parametrize(("spec", "case"), DIFF, ids=case_id)
def test_fast_path_and_tensor_rule_give_the_same_gradient(spec, case):
    """A plain backward runs every op's ``backward_arrays``; ``create_graph`` runs ``backward``.
    Both must give the same gradient (gradcheck checks the first against finite differences)."""
    xs = spec.tensors(case, ember.float64, requires_grad=True)
    diff = [x for x in xs if x.requires_grad]
    out = spec.fn(*xs)
    if not out.requires_grad:
        return
    v = ember.tensor(np.random.default_rng(1).normal(size=out.shape), dtype=out.dtype)
    fast = ember.autograd.grad(out, diff, v, retain_graph=True, allow_unused=True)
    slow = ember.autograd.grad(out, diff, v, create_graph=True, allow_unused=True)
    for f, s in zip(fast, slow):
        assert (f is None) == (s is None)
        if f is not None:
            assert not f.requires_grad
            np.testing.assert_allclose(f.numpy(), s.detach().numpy(), rtol=1e-12, atol=1e-12)
