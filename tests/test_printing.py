"""Tensors print as PyTorch's do (str, repr, print options, format specs on 0-d tensors)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
ARRAYS = [
    np.array(3.25),
    np.array(-7.0),
    np.array([1.0, 2.0]),
    np.array([1.5, -2.25, 1e-3]),
    np.array([1e-5, 1.0]),
    np.array([1e9, 1.0]),
    np.array([1.0, 2000.0]),
    np.array([123456.0, 1.5]),
    np.array([0.0, -0.0, 1.0]),
    np.array([np.nan, np.inf, -np.inf, 2.5]),
    np.array([np.nan, 1.0]),
    np.zeros(0),
    np.zeros((2, 0)),
    RNG.standard_normal((3, 4)),
    RNG.standard_normal((2, 3, 4)) * 100,
    RNG.standard_normal(40),
    RNG.standard_normal(2000),
    RNG.standard_normal((40, 40)),
    RNG.standard_normal((12, 12, 12)),
    np.arange(30.0).reshape(5, 6),
]
FLOATS = ["float32", "float64", "float16", "bfloat16"]


def _both(array, dtype, **kwargs):
    return (
        ember.tensor(array, dtype=getattr(ember, dtype), **kwargs),
        torch.tensor(array, dtype=getattr(torch, dtype), **kwargs),
    )


def _same(ours, theirs):
    assert str(ours) == str(theirs).replace("torch.", "ember.")
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("index", range(len(ARRAYS)))
def test_floating_tensors_print_as_torch(index, dtype):
    _same(*_both(ARRAYS[index], dtype))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("values", [[1, 0, 3], [[100, 2], [3, 4]], list(range(2000)), [7], []])
def test_integer_and_bool_tensors_print_as_torch(dtype, values):
    _same(*_both(np.array(values) % 2 if dtype == "bool" else np.array(values) % 120, dtype))


def test_autograd_suffixes_follow_torch():
    for lib_pair in [_both([1.0, 2.0], "float32", requires_grad=True)]:
        ours, theirs = lib_pair
        _same(ours, theirs)
        _same(ours * 2, theirs * 2)
        _same(ours + ours, theirs + theirs)
        _same((ours * ours).sum(), (theirs * theirs).sum())
        _same(ours.exp().mean(), theirs.exp().mean())
        _same(ours.double() * 3, theirs.double() * 3)
    ours, theirs = _both(RNG.standard_normal((4, 30)), "float64", requires_grad=True)
    _same(ours * 2, theirs * 2)  # the suffix moves to its own line past 80 columns


def test_parameter_repr_follows_torch():
    ours = ember.nn.Parameter(ember.tensor([1.0, 2.5]))
    theirs = torch.nn.Parameter(torch.tensor([1.0, 2.5]))
    _same(ours, theirs)


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"sci_mode": True},
        {"sci_mode": False},
        {"threshold": 5, "edgeitems": 2},
        {"linewidth": 40},
        {"profile": "short"},
        {"profile": "full"},
    ],
)
def test_print_options_follow_torch(options):
    try:
        ember.set_printoptions(**options)
        torch.set_printoptions(**options)
        for array in (ARRAYS[3], ARRAYS[6], ARRAYS[13], ARRAYS[15], np.arange(10.0)):
            _same(*_both(array, "float32"))
        assert ember.get_printoptions()["precision"] == (2 if "precision" in options else 4) or (
            options.get("profile") == "short"
        )
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


@pytest.mark.parametrize("spec", ["", ".4f", "+.2f", "10.3e", ".1%", "g"])
def test_format_specs_on_0d_tensors_follow_torch(spec):
    ours, theirs = _both(np.array(1 / 3), "float32")
    assert format(ours, spec) == format(theirs, spec)
    assert f"{ember.tensor(3)}" == f"{torch.tensor(3)}"


def test_format_of_larger_tensors_follows_torch():
    ours, theirs = _both([1.0, 2.0], "float32")
    assert f"{ours}" == f"{theirs}"
    for t in (ours, theirs):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(t, ".2f")
