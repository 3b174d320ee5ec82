"""Seed every test and fail any test that leaks engine state (this thread's grad, inference and
forward-AD modes, the process-wide anomaly mode, the default dtype, this thread's flush-denormal
mode); one BLAS thread; the fast suite's time against its budget in the summary
(docs/testing.md)."""

import os
import sys
import time

# One BLAS thread, in this process and the children it starts, set before NumPy loads its BLAS:
# the suite's arrays are small, and on a busy 2-core machine a second BLAS thread mostly waits
# (the pre-training grid takes 14 s of CPU with two threads under load, 1 s with one).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if "numpy" in sys.modules:
    print("tests/conftest.py: NumPy was imported before the BLAS thread count was set")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ember  # noqa: E402
from ember.autograd.grad_mode import process, state  # noqa: E402
from ember.compat.denormal import flush_denormal_enabled  # noqa: E402

pytest_plugins = ["pytester"]  # a test runs a copy of a test file where the data are missing


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


# The fast suite (``pytest``, which deselects ``slow``) must stay under this many seconds of wall
# time on 2 idle cores; the summary says where a run stands. Not a test: timings never fail one.
FAST_BUDGET_S = 120
_START = time.perf_counter(), sum(os.times()[:4])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.getoption("markexpr") != "not slow" or config.getoption("collectonly"):
        return
    if config.args != config.getini("testpaths"):  # a part of the suite: no budget to compare
        return
    wall = time.perf_counter() - _START[0]
    cpu = sum(os.times()[:4]) - _START[1]  # this process and the children it waited for
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    verdict = "within" if wall <= FAST_BUDGET_S else "OVER"
    terminalreporter.write_line(
        f"fast suite: {wall:.0f} s wall, {cpu:.0f} s CPU with child processes, {verdict} the "
        f"{FAST_BUDGET_S} s budget for 2 idle cores (load average now {load}); "
        "a slower check belongs in @pytest.mark.slow"
    )
