"""ember.amp: CPU autocast and GradScaler against PyTorch's."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _linear_pair():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    return [
        (
            lib,
            lib.tensor(x, dtype=lib.float32, requires_grad=True),
            lib.tensor(w, dtype=lib.float32, requires_grad=True),
            lib.tensor(b, dtype=lib.float32, requires_grad=True),
        )
        for lib in (ember, torch)
    ]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_cpu_autocast_runs_linear_and_matmul_in_low_precision_as_torch(dtype):
    results = []
    for lib, x, w, b in _linear_pair():
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            y = lib.nn.functional.linear(x, w, b)
            z = (y @ w).sum()
            assert lib.is_autocast_enabled("cpu")
        assert y.dtype == z.dtype == getattr(lib, dtype)
        assert not lib.is_autocast_enabled("cpu")
        z.float().backward()
        assert w.grad.dtype == lib.float32  # gradients reach float32 leaves in float32
        results.append([t.detach().float().numpy() for t in (y, z, x.grad, w.grad, b.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-2, atol=2e-2)


def test_autocast_nests_disables_and_decorates():
    a = ember.ones(2, 2)
    with ember.autocast("cpu"):
        assert (a @ a).dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert (a @ a).dtype == ember.float32
        assert (a @ a).dtype == ember.bfloat16
        assert (a + a).dtype == ember.float32  # only the listed op families are cast

    @ember.amp.autocast("cpu", dtype=ember.float16)
    def product(t):
        return t @ t

    assert product(a).dtype == ember.float16 and (a @ a).dtype == ember.float32
    conv = ember.nn.Conv2d(1, 2, 3)
    with ember.autocast("cpu"):
        assert conv(ember.ones(1, 1, 5, 5)).dtype == ember.bfloat16


def test_accelerator_autocast_warns_and_does_nothing_as_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Disabling autocast"):
            ctx = lib.autocast("cuda")
        with ctx:
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
        with pytest.warns(UserWarning, match="target dtype is not supported"):
            lib.autocast("cpu", dtype=lib.float64)
    with pytest.raises(RuntimeError, match="unsupported autocast device_type"):
        ember.autocast("tpu")


def _train(lib, scaler_device, poison_steps):
    lib.manual_seed(0)
    w = lib.nn.Parameter(lib.tensor([[0.5, -1.0], [2.0, 0.25]]))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler(scaler_device, init_scale=1024.0, growth_interval=2)
    scales = []
    for step in range(6):
        opt.zero_grad()
        loss = (w @ lib.tensor([1.0, 2.0])).pow(2).sum()
        if step in poison_steps:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy().copy(), scales, scaler.state_dict()


@pytest.mark.slow
def test_cpu_grad_scaler_matches_torch():
    ours = _train(ember, "cpu", {2})
    theirs = _train(torch, "cpu", {2})
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]


def test_accelerator_grad_scaler_disables_itself_as_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Disabling"):
            scaler = lib.amp.GradScaler()
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            legacy = lib.cuda.amp.GradScaler(enabled=False)
        assert not legacy.is_enabled()
    ours = _train(ember, "cuda", set())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _train(torch, "cuda", set())
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] == theirs[1] == [1.0] * 6


def test_grad_scaler_misuse_raises_as_torch():
    w = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([w], lr=0.1)
    scaler = ember.amp.GradScaler("cpu")
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.update()
