"""Seed every test and fail any test that leaves global engine state changed."""

import numpy as np
import pytest

import ember
from ember.autograd.grad_mode import state


@pytest.fixture(autouse=True)
def _seed_and_guard_state():
    ember.manual_seed(0)
    np.random.seed(0)
    before = (state.grad_enabled, state.forward_ad, state.anomaly, ember.get_default_dtype())
    yield
    after = (state.grad_enabled, state.forward_ad, state.anomaly, ember.get_default_dtype())
    state.grad_enabled, state.forward_ad, state.anomaly = before[:3]
    ember.set_default_dtype(before[3])
    assert after == before, f"test leaked global state: {before} -> {after}"
