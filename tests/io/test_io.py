"""ember.save / ember.load: round trips, the safetensors layout, and clear errors."""

import math
import os
import pickle

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import ember
from ember.io import CheckpointError, load, save

DTYPES = [ember.float32, ember.float64, ember.int32, ember.int64, ember.bool]


def _tensor(shape, dtype, seed=0):
    values = np.random.default_rng(seed).normal(size=shape) * 10
    return ember.tensor(values.astype(dtype) if dtype != np.bool_ else values > 0)


def _assert_same(a, b):
    assert isinstance(b, ember.Tensor) and b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b.numpy(), np.asarray(a.detach()))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 5), (2, 1, 3)])
def test_tensor_round_trip(tmp_path, dtype, shape):
    t = _tensor(shape, dtype)
    save(t, tmp_path / "t.safetensors")
    _assert_same(t, load(tmp_path / "t.safetensors"))


@pytest.mark.parametrize(
    "view", [lambda t: t.T, lambda t: t.transpose(0, 1), lambda t: ember.permute(t, (1, 0))]
)
def test_transposed_and_strided_arrays_keep_their_values(tmp_path, view):
    base = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    t = view(base)
    assert not t.numpy().flags.c_contiguous
    state = {"t": t, "strided": ember.tensor(np.arange(20.0))[::3]}
    assert not state["strided"].numpy().flags.c_contiguous
    save(state, tmp_path / "v.safetensors")
    back = load(tmp_path / "v.safetensors")
    np.testing.assert_array_equal(back["t"].numpy(), np.arange(12).reshape(3, 4).T)
    np.testing.assert_array_equal(back["strided"].numpy(), np.arange(0, 20, 3))
    np.testing.assert_array_equal(load_file(tmp_path / "v.safetensors")["t"], t.numpy())


def test_nested_checkpoint_round_trip(tmp_path):
    w = _tensor((4, 3), ember.float32)
    gen = ember.Generator().manual_seed(7)
    checkpoint = {
        "model": {"fc.weight": w, "fc.bias": _tensor((4,), ember.float64)},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": _tensor((4, 3), ember.float32, 1)}, 1: {}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "foo": None}],
        },
        "epoch": 5,
        "rng": gen.get_state(),
        "config": {"name": "run", "flags": [True, False], "big": 2**100, "eps": 1e-8},
        "specials": [math.inf, -math.inf, 0.0, -0.0],
        "keys": {(1, "a"): "tuple key", None: 1, 2.5: "float key", True: "bool"},
        "array": np.arange(5, dtype=np.uint32),
    }
    save(checkpoint, tmp_path / "c.safetensors")
    back = load(tmp_path / "c.safetensors")
    _assert_same(checkpoint["model"]["fc.weight"], back["model"]["fc.weight"])
    _assert_same(checkpoint["model"]["fc.bias"], back["model"]["fc.bias"])
    state = back["optimizer"]["state"]
    assert list(state) == [0, 1] and state[0]["step"] == 3 and state[1] == {}
    _assert_same(checkpoint["optimizer"]["state"][0]["exp_avg"], state[0]["exp_avg"])
    assert back["optimizer"]["param_groups"] == checkpoint["optimizer"]["param_groups"]
    assert type(back["optimizer"]["param_groups"][0]["betas"]) is tuple
    assert back["rng"] == gen.get_state()
    assert back["config"] == checkpoint["config"] and back["epoch"] == 5
    assert back["specials"] == checkpoint["specials"]
    assert math.copysign(1, back["specials"][3]) == -1
    assert back["keys"] == checkpoint["keys"] and list(back["keys"]) == list(checkpoint["keys"])
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.uint32
    np.testing.assert_array_equal(back["array"], np.arange(5))
    assert math.isnan(_save_load(tmp_path, {"x": math.nan})["x"])


def _save_load(tmp_path, obj):
    save(obj, tmp_path / "x.safetensors")
    return load(tmp_path / "x.safetensors")


def test_rng_state_restores_the_stream(tmp_path):
    gen = ember.Generator().manual_seed(3)
    gen.rng.random(5)
    state = _save_load(tmp_path, {"rng": gen.get_state()})["rng"]
    expected = gen.rng.random(4)
    gen.set_state(state)
    np.testing.assert_array_equal(gen.rng.random(4), expected)


def test_scalars_and_containers_keep_their_types(tmp_path):
    obj = [1, 1.0, True, None, "s", (), [], {}, (1, (2, [3])), np.float32(0.5), np.int64(4)]
    back = _save_load(tmp_path, obj)
    assert back == [1, 1.0, True, None, "s", (), [], {}, (1, (2, [3])), 0.5, 4]
    assert [type(v) for v in back[:3]] == [int, float, bool]


def test_requires_grad_round_trips(tmp_path):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    back = _save_load(tmp_path, {"w": w, "b": ember.tensor([0.0])})
    assert back["w"].requires_grad and back["w"].is_leaf and not back["b"].requires_grad


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    t = ember.tensor([1.0, 2.0])
    back = _save_load(tmp_path, [t, t])
    back[0].numpy()[0] = 5.0
    assert t.tolist() == [1.0, 2.0] and back[1].tolist() == [1.0, 2.0]


def test_flat_state_dict_is_a_plain_safetensors_file(tmp_path):
    state = {"fc.weight": _tensor((2, 3), ember.float32), "fc.bias": _tensor((2,), ember.float32)}
    save(state, tmp_path / "s.safetensors")
    arrays = load_file(tmp_path / "s.safetensors")
    assert sorted(arrays) == sorted(state)
    for key, t in state.items():
        np.testing.assert_array_equal(arrays[key], t.numpy())
    with safe_open(tmp_path / "s.safetensors", framework="numpy") as f:
        assert f.metadata()["format"] == "pt"
    back = load(tmp_path / "s.safetensors")
    assert list(back) == list(state)  # key order kept


def test_foreign_safetensors_file_loads_as_dict(tmp_path):
    arrays = {"a": np.ones((2, 2), np.float64), "b": np.arange(3, dtype=np.int32)}
    save_file(arrays, tmp_path / "f.safetensors")
    back = load(tmp_path / "f.safetensors")
    assert sorted(back) == ["a", "b"]
    assert back["a"].dtype == ember.float64 and back["b"].dtype == ember.int32


def test_dotted_keys_that_collide_get_distinct_entries(tmp_path):
    a, b = ember.tensor([1.0]), ember.tensor([2.0])
    back = _save_load(tmp_path, {"x.y": a, "x": {"y": b}})
    assert back["x.y"].tolist() == [1.0] and back["x"]["y"].tolist() == [2.0]


def test_weights_only_and_map_location(tmp_path):
    t = ember.tensor([1.0, 2.0])
    save({"t": t}, tmp_path / "m.safetensors")
    for kwargs in [
        {"weights_only": False},
        {"map_location": "cpu"},
        {"map_location": {"cuda:0": "cpu"}},
        {"map_location": lambda storage, location: storage},
    ]:
        assert load(tmp_path / "m.safetensors", **kwargs)["t"].tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="cuda"):
        load(tmp_path / "m.safetensors", map_location="cuda")


# ---------------------------------------------------------------------------- errors
def test_unsupported_objects_name_their_place(tmp_path):
    with pytest.raises(TypeError, match=r"type set at config\.tags"):
        save({"config": {"tags": {1, 2}}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="type object at 0"):
        save([object()], tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"array of dtype complex128 at x\.1"):
        save({"x": [1, np.zeros(2, complex)]}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="cannot be dict keys"):
        save({ember.tensor(1.0): 1}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []  # nothing written, no temporary files left


def test_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"epoch": 1}, path)
    with pytest.raises(TypeError):
        save({"epoch": 2, "bad": lambda: 0}, path)
    assert load(path) == {"epoch": 1} and os.listdir(tmp_path) == ["c.safetensors"]


def test_file_mode_follows_the_umask(tmp_path):
    umask = os.umask(0o022)
    try:
        save({"a": 1}, tmp_path / "c.safetensors")
    finally:
        os.umask(umask)
    assert (tmp_path / "c.safetensors").stat().st_mode & 0o777 == 0o644


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize("weights_only", [True, False])
def test_pickle_is_refused_and_never_executed(tmp_path, monkeypatch, weights_only):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": _Exploit()}))
    with pytest.raises(CheckpointError, match=r"evil\.pt: this is a pickle"):
        load(path, weights_only=weights_only)
    assert not (tmp_path / "pwned").exists()


def test_torch_zip_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match=r"model\.pt: this is a zip archive"):
        load(tmp_path / "model.pt")


@pytest.mark.parametrize(
    "content", [b"", b"abc", b"just some text in a file\n" * 3, b"\xff" * 64, b"{}" + b" " * 30]
)
def test_non_safetensors_content_is_named(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"notes\.txt: not a readable safetensors file"):
        load(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_file_is_named(tmp_path, keep):
    path = tmp_path / "c.safetensors"
    save({"w": _tensor((50, 50), ember.float32), "epoch": 3}, path)
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])
    with pytest.raises(CheckpointError, match=r"c\.safetensors"):
        load(path)


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"ember": "not json"}, "not a valid ember structure"),
        ({"ember": '{"tree": 1}'}, "not a valid ember structure"),
        ({"ember": '{"version": 99, "tree": 1}'}, "unknown format version 99"),
        ({"ember": '{"version": 1, "tree": {"tensor": "nope"}}'}, "'nope' that is not in the file"),
        ({"ember": '{"version": 1, "tree": {"what": 1}}'}, "unexpected node"),
        ({"ember": '{"version": 1, "tree": {"dict": 5}}'}, "malformed"),
        ({"ember": '{"version": 1, "tree": {"items": [[[1], 2]]}}'}, "malformed"),
        ({"ember": '{"version": 1}'}, "malformed"),
    ],
)
def test_foreign_or_damaged_structure_is_named(tmp_path, metadata, problem):
    path = tmp_path / "other.safetensors"
    save_file({"a": np.zeros(2, np.float32)}, path, metadata=metadata)
    with pytest.raises(CheckpointError, match=rf"other\.safetensors: .*{problem}"):
        load(path)


def test_unsupported_tensor_dtype_is_named(tmp_path):
    path = tmp_path / "u16.safetensors"
    save_file({"h": np.zeros(2, np.uint16)}, path)
    with pytest.raises(CheckpointError, match=r"u16\.safetensors: tensor 'h' has dtype uint16"):
        load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.safetensors")
