"""Optimizer checkpoints: PyTorch's layout, round trips that continue the same trajectory."""

import numpy as np
import pytest

import ember
from ember.optim import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
    Rprop,
)

CASES = [
    (SGD, {"lr": 0.1, "momentum": 0.9}),
    (Adagrad, {"lr": 0.1}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (Adam, {"lr": 0.01, "amsgrad": True}),
    (AdamW, {"lr": 0.01}),
    (Adadelta, {"lr": 0.5, "weight_decay": 0.1}),
    (Adamax, {"lr": 0.01, "maximize": True}),
    (NAdam, {"lr": 0.01}),
    (RAdam, {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    (Rprop, {"lr": 0.01}),
    (ASGD, {"lr": 0.01, "t0": 2}),
]


def make_params(dtype="float64"):
    return [
        ember.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=dtype, requires_grad=True),
        ember.tensor([0.5, -0.5], dtype=dtype, requires_grad=True),
        ember.tensor(2.0, dtype=dtype, requires_grad=True),
    ]


def set_grads(params, k):
    for i, p in enumerate(params):
        p.grad = ember.tensor(np.cos(np.arange(p.numel()) + 3 * k + i).reshape(p.shape), p.dtype)


def make_opt(cls, kwargs, params):
    return cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], **kwargs)


def test_layout_matches_pytorch():
    params = make_params()
    opt = make_opt(Adam, {"lr": 0.01}, params)
    set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.05 and sd["param_groups"][0]["lr"] == 0.01
    assert sorted(sd["state"]) == [0, 1, 2]
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    step = sd["state"][0]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and step.item() == 1.0
    assert sd["state"][1]["exp_avg"].shape == (2,)


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=[c.__name__ for c, _ in CASES])
def test_round_trip_continues_the_same_trajectory(cls, kwargs):
    params = make_params()
    opt = make_opt(cls, kwargs, params)
    for k in range(3):
        set_grads(params, k)
        opt.step()
    clones = [ember.tensor(p.detach().numpy(), dtype=p.dtype, requires_grad=True) for p in params]
    other = make_opt(cls, {**kwargs, "lr": 123.0}, clones)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == kwargs["lr"]
    assert other.param_groups[1]["params"][0] is clones[2]
    for k in range(3, 6):
        set_grads(params, k)
        set_grads(clones, k)
        opt.step()
        other.step()
    # NAdam's mu_product and ASGD's eta and mu are float32 while running and, as in PyTorch,
    # come back in the parameter's dtype: the continued run differs only by that rounding
    rtol = 1e-9 if cls in (NAdam, ASGD) else 0
    for p, q in zip(params, clones):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=rtol, atol=0)


def test_loaded_state_is_a_copy_cast_to_the_parameter_dtype():
    params = make_params()
    opt = make_opt(Adam, {}, params)
    set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    params32 = make_params("float32")
    opt32 = make_opt(Adam, {}, params32)
    opt32.load_state_dict(sd)
    state = opt32.state[params32[0]]
    assert state["exp_avg"].dtype == ember.float32
    assert state["step"].dtype == ember.float32
    np.testing.assert_allclose(state["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy(), 1e-6)
    before = sd["state"][0]["exp_avg"].numpy().copy()
    set_grads(params32, 1)
    opt32.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].numpy(), before)


def test_numpy_state_values_are_accepted():
    params = make_params()
    opt = SGD(params, momentum=0.9)
    sd = {
        "state": {1: {"momentum_buffer": np.array([1.0, 2.0])}},
        "param_groups": [{**opt.state_dict()["param_groups"][0], "params": [0, 1, 2]}],
    }
    opt.load_state_dict(sd)
    assert opt.state[params[1]]["momentum_buffer"].tolist() == [1.0, 2.0]


def test_mismatched_checkpoints_are_rejected():
    opt = make_opt(SGD, {}, make_params())
    with pytest.raises(ValueError, match="different number of parameter groups"):
        SGD(make_params()).load_state_dict(opt.state_dict())
    other = SGD([{"params": make_params()[:1]}, {"params": make_params()[:2]}])
    with pytest.raises(ValueError, match="doesn't match the size"):
        other.load_state_dict(opt.state_dict())


def test_adamw_stays_decoupled_after_loading_an_adam_checkpoint():
    adam = Adam(make_params())
    adamw = AdamW(make_params())
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
