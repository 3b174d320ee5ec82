"""Every op of the op-spec table, compiled, against eager: values and gradients bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd.grad_mode import state

from ..ops.harness import case_id
from ..ops.test_opspecs import SPECS
from .helpers import same, tensors_of

# Specs whose function does something a recording cannot replay, and what (they fall back).
FALLS_BACK = {
    "getitem_mask": "a boolean mask selects a number of entries set by data",
    "getitem_mask_rows": "a boolean mask selects a number of entries set by data",
    "masked_select": "a boolean mask selects a number of entries set by data",
}


def _run(fn, spec, case, dtype):
    """Outputs and input gradients of one call; the incoming gradients are fixed by the seed."""
    xs = spec.tensors(case, dtype, requires_grad=spec.differentiable)
    outs = tensors_of(fn(*xs))
    rng = np.random.default_rng(1)
    grads = []
    diff = [o for o in outs if o.requires_grad]
    if diff:
        seeds = [ember.tensor(rng.standard_normal(o.shape), dtype=o.dtype) for o in diff]
        ember.autograd.backward(diff, seeds) if hasattr(ember.autograd, "backward") else [
            o.backward(s, retain_graph=True) for o, s in zip(diff, seeds)
        ]
        grads = [x.grad for x in xs if x.requires_grad]
    return [o._data for o in outs], [None if g is None else g._data for g in grads]


def _check(spec, dtype):
    for case in spec.cases:
        ember.manual_seed(0)
        eager = _run(spec.fn, spec, case, dtype)
        compiled = ember.compile(spec.fn)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):  # the recording call, then two replays
                ember.manual_seed(0)
                got = _run(compiled, spec, case, dtype)
                for a, b in zip(eager[0] + eager[1], got[0] + got[1]):
                    assert (a is None and b is None) or same(a, b), (spec.name, case_id(case))
        fell_back = [str(w.message) for w in caught if "ember.compile" in str(w.message)]
        if spec.name in FALLS_BACK:
            assert fell_back, f"{spec.name} no longer falls back: take it off FALLS_BACK"
        else:
            assert not fell_back, fell_back
            assert compiled._cache and not state.special


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=case_id)
def test_compiled_op_matches_eager(spec):
    _check(spec, ember.float64)
