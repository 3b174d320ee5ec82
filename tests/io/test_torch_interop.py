"""Flat state_dicts move between ember and PyTorch through plain safetensors files."""

import importlib

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "b": np.bool_}


def _ember_nn():
    """ember.nn when it offers Sequential/Linear/ReLU, else None (then plain dicts are compared)."""
    try:
        nn = importlib.import_module("ember.nn")
    except ImportError:
        return None
    return nn if all(hasattr(nn, n) for n in ("Sequential", "Linear", "ReLU")) else None


def _torch_model(seed):
    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)).eval()


def _as_ember(state):
    return {k: ember.tensor(v.numpy(), dtype=v.numpy().dtype) for k, v in state.items()}


def test_ember_state_dict_loads_into_torch(tmp_path):
    source, target = _torch_model(0), _torch_model(1)
    state = _as_ember(source.state_dict())
    weight = source.state_dict()["0.weight"].numpy()
    state["0.weight"] = ember.tensor(weight.T.copy()).T  # a transposed view
    assert not state["0.weight"].numpy().flags.c_contiguous
    ember.save(state, tmp_path / "m.safetensors")
    loaded = st_torch.load_file(tmp_path / "m.safetensors")
    assert target.load_state_dict(loaded, strict=True).missing_keys == []
    x = torch.randn(6, 3)
    with torch.no_grad():
        assert torch.equal(target(x), source(x))
    assert loaded["1.num_batches_tracked"].dtype == torch.int64


def test_torch_state_dict_loads_into_ember(tmp_path):
    model = _torch_model(0)
    st_torch.save_file(model.state_dict(), tmp_path / "t.safetensors")
    state = ember.load(tmp_path / "t.safetensors")
    assert set(state) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert state[key].dtype == value.numpy().dtype and state[key].shape == tuple(value.shape)
        np.testing.assert_array_equal(state[key].numpy(), value.numpy())


@pytest.mark.skipif(_ember_nn() is None, reason="ember.nn.Sequential is not available")
def test_model_outputs_agree_both_ways(tmp_path):
    nn = _ember_nn()
    ember_model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)

    ember.save(ember_model.state_dict(), tmp_path / "e.safetensors")
    torch_model.load_state_dict(st_torch.load_file(tmp_path / "e.safetensors"))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ember_model(ember.tensor(x)).detach().numpy(), expected, atol=1e-6)

    torch.manual_seed(1)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    st_torch.save_file(torch_model.state_dict(), tmp_path / "t.safetensors")
    ember_model.load_state_dict(ember.load(tmp_path / "t.safetensors"))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ember_model(ember.tensor(x)).detach().numpy(), expected, atol=1e-6)


def test_every_dtype_crosses_both_ways(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {name: (rng.normal(size=(3, 2)) * 9).astype(dtype) for name, dtype in DTYPES.items()}
    arrays["scalar"] = np.array(7, dtype=np.int64)
    arrays["transposed"] = rng.normal(size=(2, 3)).astype(np.float32).T
    ember.save({k: ember.tensor(v, dtype=v.dtype) for k, v in arrays.items()}, tmp_path / "e")
    loaded = st_torch.load_file(tmp_path / "e")
    for key, array in arrays.items():
        np.testing.assert_array_equal(loaded[key].numpy(), array)
        assert loaded[key].numpy().dtype == array.dtype
    st_torch.save_file(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}, tmp_path / "t"
    )
    back = ember.load(tmp_path / "t")
    for key, array in arrays.items():
        assert back[key].dtype == array.dtype
        np.testing.assert_array_equal(back[key].numpy(), array)
