"""dtypes: names and aliases, promotion, finfo/iinfo, Size, from_numpy; checked against PyTorch."""

import itertools

import numpy as np
import pytest

import ember

REAL = ["float16", "bfloat16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64"]
REAL.append("bool")
ALIASES = ["half", "float", "double", "short", "int", "long", "cfloat", "cdouble"]
NAMES = [*REAL, "complex64", "complex128", *ALIASES]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, name):
    return getattr(ember, name), getattr(torch, name)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_objects_match_torch(torch, name):
    ours, theirs = _pair(torch, name)
    assert isinstance(ours, ember.dtype)
    assert repr(ours) == repr(theirs).replace("torch", "ember") == str(ours)
    for attr in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr


def test_dtypes_compare_and_hash_with_numpy():
    assert ember.float == ember.float32 and ember.long is ember.int64
    assert ember.float32 == np.float32 and ember.float32 == "float32"
    assert np.dtype("float64") == ember.float64 and ember.float32 != ember.float64
    assert ember.float32 != float and ember.float64 != None  # noqa: E711, E721 (as in PyTorch)
    assert {ember.float32: 1}[np.dtype("float32")] == 1
    assert np.zeros(2, ember.bfloat16).dtype == ember.bfloat16
    assert ember.zeros(2, dtype="float16").dtype is ember.float16


def test_promote_types_matches_torch_for_every_pair(torch):
    names = [*REAL, "complex64", "complex128"]
    for a, b in itertools.product(names, repeat=2):
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert ember.promote_types(getattr(ember, a), getattr(ember, b)) == getattr(
            ember, str(expected).removeprefix("torch.")
        ), (a, b)


def _tensor(lib, name, zero_dim):
    return lib.ones(() if zero_dim else (2,), dtype=getattr(lib, name))


@pytest.mark.parametrize("kinds", [(False, False), (False, True), (True, False), (True, True)])
def test_arithmetic_result_dtype_matches_torch(torch, kinds):
    for a, b in itertools.product(REAL, repeat=2):
        ours = _tensor(ember, a, kinds[0]) + _tensor(ember, b, kinds[1])
        theirs = _tensor(torch, a, kinds[0]) + _tensor(torch, b, kinds[1])
        assert repr(ours.dtype) == repr(theirs.dtype).replace("torch", "ember"), (a, b, kinds)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_python_scalars_promote_as_in_torch(torch, default):
    before = ember.get_default_dtype(), torch.get_default_dtype()
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        assert ember.get_default_dtype() is getattr(ember, default)
        for name, scalar in itertools.product(REAL, (True, 3, 2.5)):
            ours = (_tensor(ember, name, False) * scalar).dtype
            theirs = (_tensor(torch, name, False) * scalar).dtype
            assert repr(ours) == repr(theirs).replace("torch", "ember"), (name, scalar)
            assert ember.result_type(_tensor(ember, name, True), scalar) == ours
    finally:
        ember.set_default_dtype(before[0])
        torch.set_default_dtype(before[1])


def test_complex_tensors_are_refused_clearly():
    with pytest.raises(TypeError, match="complex tensors are not supported"):
        ember.zeros(2, dtype=ember.complex64)
    with pytest.raises(TypeError, match="complex"):
        ember.tensor([1j])
    with pytest.raises(TypeError, match="complex"):
        ember.ones(2) * 1j


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(torch, name):
    ours, theirs = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(torch, name):
    ours, theirs = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (
        theirs.bits,
        theirs.min,
        theirs.max,
        theirs.dtype,
    )


def test_size_is_a_tuple_that_prints_like_torch(torch):
    x = ember.zeros(2, 3, 4)
    assert isinstance(x.shape, ember.Size) and isinstance(x.size(), tuple)
    assert x.shape == (2, 3, 4) and x.size(1) == 3 and x.shape.numel() == 24
    assert repr(x.shape) == repr(torch.zeros(2, 3, 4).shape).replace("torch", "ember")
    assert isinstance(x.shape[1:], ember.Size) and isinstance(x.shape + (5,), ember.Size)  # noqa: RUF005
    assert repr(ember.zeros(()).shape) == "ember.Size([])"


def test_from_numpy_shares_memory_and_keeps_dtype():
    for dt in (np.float64, np.float32, np.int16, np.uint8, np.bool_):
        a = np.zeros(3, dt)
        t = ember.from_numpy(a)
        assert t.dtype == dt and np.shares_memory(t.numpy(), a)
    with pytest.raises(TypeError, match="uint16"):
        ember.from_numpy(np.zeros(2, np.uint16))
    a = np.ones(2)
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)
    assert ember.as_tensor(a, dtype=ember.float32).dtype == ember.float32
    assert ember.as_tensor([1, 2]).dtype == ember.int64


def test_namespace_predicates():
    x = ember.ones(2, dtype=ember.half)
    assert ember.is_tensor(x) and not ember.is_tensor(np.ones(2))
    assert ember.is_floating_point(x) and not ember.is_complex(x) and ember.numel(x) == 2
    assert ember.ones(2, dtype=ember.bfloat16).is_floating_point()
    assert not ember.ones(2, dtype=ember.uint8).is_floating_point()
    assert ember.can_cast(ember.int32, ember.float16)
    assert not ember.can_cast(ember.float32, ember.int64)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_low_precision_forward_and_gradients_follow_torch(torch, name):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    results = []
    for lib in (ember, torch):
        dt = getattr(lib, name)
        xt = lib.tensor(x, dtype=dt, requires_grad=True)
        wt = lib.tensor(w, dtype=dt, requires_grad=True)
        y = lib.nn.functional.linear(xt, wt).tanh() * 2.0
        y.sum().backward()
        assert y.dtype == dt and xt.grad.dtype == dt and wt.grad.dtype == dt
        results.append([t.detach().float().numpy() for t in (y, xt.grad, wt.grad)])
    tol = 2e-2 if name == "bfloat16" else 3e-3
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
@pytest.mark.parametrize("layer", ["LayerNorm", "BatchNorm1d"])
def test_low_precision_normalization_follows_torch(torch, name, layer):
    x = np.linspace(-2, 3, 24).reshape(4, 6)
    results = []
    for lib in (ember, torch):
        dt = getattr(lib, name)
        module = getattr(lib.nn, layer)(6).to(dt)
        xt = lib.tensor(x, dtype=dt, requires_grad=True)
        y = module(xt)
        (y * lib.tensor(np.cos(np.arange(24.0) * 1.7).reshape(4, 6), dtype=dt)).sum().backward()
        assert y.dtype == xt.grad.dtype == module.weight.grad.dtype == dt
        results.append([t.detach().float().numpy() for t in (y, xt.grad, module.weight.grad)])
    for ours, theirs in zip(*results):
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(ours / scale, theirs / scale, atol=2e-2)


@pytest.mark.slow
def test_bfloat16_loads_ml_dtypes_on_first_use():
    """``import ember`` leaves ml_dtypes (and safetensors, multiprocessing) unloaded: a float32
    program never pays their memory. bfloat16 works as before once used, also on an array that
    another library made."""
    import os
    import subprocess
    import sys

    # under `make coverage` the child would start coverage, which imports multiprocessing itself
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    program = """
import sys
import ember
lazy = ("ml_dtypes", "safetensors", "multiprocessing")
assert not any(m in sys.modules for m in lazy), [m for m in lazy if m in sys.modules]
x = ember.ones(2, requires_grad=True)
(x * x).sum().backward()
print(x.grad, ember.bfloat16, ember.bfloat16.is_floating_point, ember.bfloat16.itemsize)
assert "ml_dtypes" not in sys.modules
import ml_dtypes, numpy as np
t = ember.tensor(np.ones(2, dtype=ml_dtypes.bfloat16))
assert t.dtype == ember.bfloat16 and t.is_floating_point()
assert ember.tensor([1.5], dtype="bfloat16").tolist() == [1.5]
"""
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["tensor([2.,", "2.])", "ember.bfloat16", "True", "2"]
