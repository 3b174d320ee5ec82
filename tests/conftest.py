"""Seed every test and fail any test that leaks engine state (this thread's grad, inference and
forward-AD modes, the process-wide anomaly mode, the default dtype, this thread's flush-denormal
mode)."""

import numpy as np
import pytest

import ember
from ember.autograd.grad_mode import process, state
from ember.compat.denormal import flush_denormal_enabled


def _engine_state() -> tuple:
    return (
        state.grad_enabled,
        state.inference,
        state.forward_ad,
        process.anomaly,
        ember.get_default_dtype(),
        flush_denormal_enabled(),
    )


@pytest.fixture(autouse=True)
def _seed_and_guard_state():
    ember.manual_seed(0)
    np.random.seed(0)
    before = _engine_state()
    yield
    after = _engine_state()
    state.grad_enabled, state.inference, state.forward_ad, process.anomaly = before[:4]
    ember.set_default_dtype(before[4])
    ember.set_flush_denormal(before[5])
    assert after == before, f"test leaked engine state: {before} -> {after}"
