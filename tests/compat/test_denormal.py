"""``ember.set_flush_denormal``: FTZ/DAZ for the calling thread where supported, False elsewhere."""

import platform
import sys
import threading

import numpy as np
import pytest

import ember
from ember.compat import denormal

SUPPORTED = sys.platform == "linux" and platform.machine() == "x86_64" and denormal._libm()
needs_support = pytest.mark.skipif(not SUPPORTED, reason="flushing works on x86-64 Linux, glibc")

SUB32 = np.float32(1e-40)  # below float32's smallest normal, 1.18e-38
SUB64 = 1e-310  # below float64's, 2.2e-308


@pytest.fixture
def flushing():
    assert ember.set_flush_denormal(True)
    yield
    ember.set_flush_denormal(False)


@needs_support
def test_flushing_makes_numpy_and_ember_ops_give_zero(flushing):
    assert denormal.flush_denormal_enabled()
    assert SUB32 * np.float32(1) == 0  # denormals-are-zero: a subnormal operand reads as 0
    assert np.float64(SUB64) * 1.0 == 0
    assert np.float32(1e-30) * np.float32(1e-10) == 0  # flush-to-zero: a subnormal result is 0
    a = np.full((8, 8), 1e-20, np.float32)
    assert not (a @ a).any()  # BLAS too, on this thread
    t = ember.tensor([1e-323], dtype=ember.float64) * 1
    assert t.item() == 0
    assert (ember.full((4,), 1e-40) + 0).abs().max().item() == 0


@needs_support
def test_turning_it_off_restores_gradual_underflow():
    assert ember.set_flush_denormal(True)
    assert ember.set_flush_denormal(False)
    assert not denormal.flush_denormal_enabled()
    assert SUB32 * np.float32(1) == SUB32
    assert np.float64(SUB64) * 1.0 == SUB64
    assert (ember.tensor([1e-323], dtype=ember.float64) * 1).item() > 0


@needs_support
def test_the_mode_belongs_to_the_calling_thread(flushing):
    seen = {}

    def report():
        seen["flushes"] = denormal.flush_denormal_enabled()
        seen["product"] = SUB32 * np.float32(1)

    ember.set_flush_denormal(False)
    started = threading.Event()
    go = threading.Event()

    def early():  # running before the switch: keeps its own mode
        started.set()
        go.wait()
        report()

    thread = threading.Thread(target=early)
    thread.start()
    started.wait()
    ember.set_flush_denormal(True)
    go.set()
    thread.join()
    assert seen == {"flushes": False, "product": SUB32}
    late = threading.Thread(target=report)  # started after: inherits the creating thread's mode
    late.start()
    late.join()
    assert seen == {"flushes": True, "product": 0}


def test_unsupported_platforms_answer_false_and_change_nothing(monkeypatch):
    monkeypatch.setattr(denormal, "_libm", lambda: None)
    assert ember.set_flush_denormal(True) is False
    assert denormal.flush_denormal_enabled() is False
    assert SUB32 * np.float32(1) == SUB32


@pytest.mark.parametrize(
    ("system", "machine"), [("darwin", "x86_64"), ("linux", "aarch64"), ("win32", "AMD64")]
)
def test_only_x86_64_linux_is_supported(monkeypatch, system, machine):
    monkeypatch.setattr(denormal.sys, "platform", system)
    monkeypatch.setattr(denormal.platform, "machine", lambda: machine)
    assert denormal._libm.__wrapped__() is None


@needs_support
def test_same_answers_and_register_as_torch():
    torch = pytest.importorskip("torch")
    try:
        assert torch.set_flush_denormal(True) is True
        assert denormal.flush_denormal_enabled()  # the same MXCSR bits
        assert ember.set_flush_denormal(False) is True
        assert torch.tensor([1e-323], dtype=torch.float64).mul(1).item() > 0
        assert ember.set_flush_denormal(True) is True
        assert torch.tensor([1e-323], dtype=torch.float64).mul(1).item() == 0
    finally:
        torch.set_flush_denormal(False)
