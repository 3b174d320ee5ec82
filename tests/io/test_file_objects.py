"""ember.save / ember.load with file objects, PyTorch 2.13's load arguments, dtypes."""

import io
import pickle

import numpy as np
import pytest

import ember
from ember.io import CheckpointError, load, save


def _checkpoint():
    return {
        "model": {"w": ember.tensor([[1.0, 2.0]], requires_grad=True), "b": ember.zeros(2)},
        "optimizer": {"state": {0: {"step": ember.tensor(3.0)}}, "param_groups": [{"lr": 0.1}]},
        "history": [(1, 0.5), (2, float("inf"))],
        "array": np.arange(6, dtype=np.int64).reshape(2, 3),
        "name": "run",
        "flags": [True, None],
        "dtype": ember.float64,
    }


def _assert_checkpoint(back):
    assert back["model"]["w"].tolist() == [[1.0, 2.0]] and back["model"]["w"].requires_grad
    assert back["optimizer"]["state"][0]["step"].item() == 3.0
    assert back["optimizer"]["param_groups"] == [{"lr": 0.1}]
    assert back["history"] == [(1, 0.5), (2, float("inf"))]
    np.testing.assert_array_equal(back["array"], np.arange(6).reshape(2, 3))
    assert (back["name"], back["flags"], back["dtype"]) == ("run", [True, None], ember.float64)


def test_bytesio_and_paths_hold_the_same_format(tmp_path):
    buffer = io.BytesIO()
    save(_checkpoint(), buffer)
    buffer.seek(0)
    _assert_checkpoint(load(buffer))
    (tmp_path / "from_buffer.pt").write_bytes(buffer.getvalue())
    _assert_checkpoint(load(tmp_path / "from_buffer.pt"))
    save(_checkpoint(), tmp_path / "ckpt.pt")
    _assert_checkpoint(load(io.BytesIO((tmp_path / "ckpt.pt").read_bytes())))


def test_open_files_and_the_read_position(tmp_path):
    path = tmp_path / "ckpt.pt"
    with open(path, "wb") as fh:
        save(_checkpoint(), fh)
    with open(path, "rb") as fh:
        _assert_checkpoint(load(fh))
    with open(path, "rb") as fh:
        _assert_checkpoint(load(str(path)))
    buffer = io.BytesIO(b"header")
    buffer.seek(0, io.SEEK_END)
    save({"x": ember.ones(2)}, buffer)
    buffer.seek(6)
    assert load(buffer)["x"].tolist() == [1.0, 1.0]


def test_refused_objects_write_nothing_and_are_never_pickled():
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match=r"type function at hooks\.0.*never pickles"):
        save({"hooks": [lambda: 0]}, buffer)
    assert buffer.getvalue() == b""
    with pytest.raises(ValueError, match="never pickles"):
        save({}, io.BytesIO(), pickle_module=pickle)
    with pytest.raises(TypeError, match="path or a binary file object, but got int"):
        save({}, 3)
    with pytest.raises(TypeError, match="path or a binary file object, but got list"):
        load([])


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_weights_only_loads_the_same_objects(weights_only):
    buffer = io.BytesIO()
    save(_checkpoint(), buffer)
    buffer.seek(0)
    _assert_checkpoint(load(buffer, weights_only=weights_only))
    evil = io.BytesIO(pickle.dumps({"x": 1}))
    with pytest.raises(CheckpointError, match="this is a pickle"):
        load(evil, weights_only=weights_only)


def test_pickle_module_follows_torch():
    buffer = io.BytesIO()
    save({"x": ember.ones(1)}, buffer)
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        load(io.BytesIO(buffer.getvalue()), pickle_module=pickle)
    back = load(io.BytesIO(buffer.getvalue()), pickle_module=pickle, weights_only=False)
    assert back["x"].tolist() == [1.0]


def test_map_location_callable_sees_every_tensor():
    buffer = io.BytesIO()
    save({"a": ember.ones(2), "b": [ember.zeros(1)], "c": 5}, buffer)
    seen = []

    def relocate(tensor, location):
        seen.append((tuple(tensor.shape), location))
        return tensor * 2 if tensor.shape == (2,) else None

    back = load(io.BytesIO(buffer.getvalue()), map_location=relocate)
    assert sorted(seen) == [((1,), "cpu"), ((2,), "cpu")]
    assert back["a"].tolist() == [2.0, 2.0] and back["b"][0].tolist() == [0.0]
    assert load(io.BytesIO(buffer.getvalue()), map_location={"cuda:0": "cpu"})["c"] == 5


def test_damaged_bytes_are_named():
    buffer = io.BytesIO()
    save({"x": ember.ones(4)}, buffer)
    with pytest.raises(CheckpointError, match="<BytesIO>: not a readable safetensors file"):
        load(io.BytesIO(buffer.getvalue()[:-3]))


def test_torch_reads_and_refuses_like_a_file(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load as torch_load_bytes

    buffer = io.BytesIO()
    save({"w": ember.tensor([1.5, 2.5])}, buffer)
    assert torch_load_bytes(buffer.getvalue())["w"].tolist() == [1.5, 2.5]
    theirs = io.BytesIO()
    torch.save({"w": torch.ones(2)}, theirs)
    theirs.seek(0)
    with pytest.raises(CheckpointError, match="this is a zip archive"):
        load(theirs)
