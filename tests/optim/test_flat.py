"""Optimizers on flat buffers (``foreach=True``/``fused=True``) against the per-parameter loop
(``foreach=False``): the same bits over many steps, whatever the user does between steps."""

import copy

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
    flat,
)

FUSED = (SGD, Adam, AdamW, Adagrad)  # the optimizers with PyTorch's ``fused`` switch
CASES = [
    (SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    (Adam, {"lr": 0.01, "weight_decay": 0.1}),
    (Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (AdamW, {"lr": 0.01, "amsgrad": True, "maximize": True}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1}),
    (Adamax, {"lr": 0.01, "weight_decay": 0.1}),
    (ASGD, {"lr": 0.01, "t0": 3, "weight_decay": 0.1}),
    (NAdam, {"lr": 0.01, "weight_decay": 0.1}),
    (NAdam, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (RAdam, {"lr": 0.01, "weight_decay": 0.1}),
    (RAdam, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    (RMSprop, {"lr": 0.01}),
    (Rprop, {"lr": 0.01}),
    (Adadelta, {"lr": 0.5, "weight_decay": 0.1}),
]
STEPS = 12  # RAdam's rectified step starts at step 6


def case_id(case):
    cls, kwargs = case
    return cls.__name__ + "".join(f"-{k}" for k in kwargs if k != "lr")


def make_params():
    """Two groups' worth: float64 matrices, vectors and a 0-d, and a float32 vector among them."""
    rng = np.random.default_rng(0)
    shapes = [((2, 3), "float64"), ((4,), "float64"), ((3,), "float32"), ((), "float64")]
    shapes += [((5, 2), "float64"), ((2,), "float64")]
    return [ember.tensor(rng.standard_normal(s), dtype=d, requires_grad=True) for s, d in shapes]


def make_opt(cls, kwargs, params, **switch):
    second = {"params": params[4:], "lr": 0.05, "maximize": not kwargs.get("maximize", False)}
    return cls([{"params": params[:4]}, second], **kwargs, **switch)


def set_grads(params, k):
    """New gradient tensors; parameter i has none in the steps where (i + k) % 4 == 0."""
    for i, p in enumerate(params):
        if (i + k) % 4 == 0:
            p.grad = None
        else:
            values = np.cos(np.arange(p.numel()) * 0.7 + 3 * k + i) + 0.1 * k
            p.grad = ember.tensor(values.reshape(p.shape), dtype=p.dtype)


def assert_same_bits(params, others, opt, other_opt):
    for p, q in zip(params, others, strict=True):
        assert p.dtype == q.dtype and p.shape == q.shape
        assert p.detach().numpy().tobytes() == q.detach().numpy().tobytes()
        assert p._version == q._version
    ours, theirs = opt.state_dict(), other_opt.state_dict()
    switches = ("foreach", "fused")
    for group, other in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert {k: v for k, v in group.items() if k not in switches} == {
            k: v for k, v in other.items() if k not in switches
        }
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for index, state in ours["state"].items():
        assert list(state) == list(theirs["state"][index])
        for key, value in state.items():
            other = theirs["state"][index][key]
            assert value.dtype == other.dtype and value.shape == other.shape, key
            assert value.numpy().tobytes() == other.numpy().tobytes(), key


def run(cls, kwargs, switch, steps=STEPS, between=None):
    params = make_params()
    opt = make_opt(cls, kwargs, params, **switch)
    for k in range(steps):
        set_grads(params, k)
        if between is not None:
            params = between(k, opt, params)
        opt.step()
    return params, opt


SWITCHES = [{"foreach": True}, {"fused": True}]


@pytest.mark.parametrize("switch", SWITCHES, ids=["foreach", "fused"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_flat_step_is_bit_identical_to_the_loop(case, switch):
    cls, kwargs = case
    if "fused" in switch and cls not in FUSED:
        pytest.skip(f"{cls.__name__} has no fused switch in PyTorch")
    params, opt = run(cls, kwargs, switch)
    loop_params, loop_opt = run(cls, kwargs, {"foreach": False})
    assert_same_bits(params, loop_params, opt, loop_opt)
    for p in loop_params:
        assert p._data.base is None  # the loop leaves the parameters' arrays as they were


@pytest.mark.parametrize("switch", [{}, {"foreach": False}, {"fused": False}])
def test_the_default_steps_each_parameter_where_it_is(switch):
    # PyTorch's default on the CPU is the for-loop: arrays that alias a parameter keep following it
    params = make_params()
    handles = [p.detach() for p in params]
    opt = make_opt(SGD, {"lr": 0.1, "momentum": 0.9}, params, **switch)
    for k in range(3):
        set_grads(params, k)
        opt.step()
    for p, h in zip(params, handles):
        assert p._data.base is None
        assert np.shares_memory(p._data, h._data)


def stepped_once(opt, params):
    """``opt`` after one step with gradients of ones."""
    for p in params:
        p.grad = ember.ones_like(p)
    opt.step()
    return opt


def test_parameters_and_state_are_views_of_flat_buffers():
    params = [ember.tensor(np.ones(s), requires_grad=True) for s in [(3, 2), (4,), ()]]
    opt = stepped_once(Adam(params, lr=0.1, foreach=True), params)
    for key in ("exp_avg", "exp_avg_sq", "step"):
        bases = {id(opt.state[p][key]._data.base) for p in params}
        assert len(bases) == 1
        assert opt.state[params[2]][key].shape == ()
    assert len({id(p._data.base) for p in params}) == 1
    assert [p.shape for p in params] == [(3, 2), (4,), ()]


def test_a_parameter_without_gradient_keeps_its_values_and_state():
    params = [ember.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    opt = stepped_once(Adam(params, lr=0.1), params)
    frozen = params[1].detach().numpy().copy(), opt.state[params[1]]["exp_avg"].numpy().copy()
    params[1].grad = None
    opt.step()
    assert params[1].detach().numpy().tolist() == frozen[0].tolist()
    assert opt.state[params[1]]["exp_avg"].numpy().tolist() == frozen[1].tolist()
    assert opt.state[params[1]]["step"].item() == 1 and opt.state[params[0]]["step"].item() == 2


def user_actions(k, opt, params):
    """What users do between steps, one thing per step; returns the parameter list."""
    p0, p1 = params[0], params[1]
    if k == 2:
        p0.data = ember.tensor(p0.detach().numpy() * 0.5, dtype=p0.dtype)
    elif k == 3:
        extra = ember.tensor([0.25, -0.5], dtype="float64", requires_grad=True)
        extra.grad = ember.tensor([1.0, 2.0], dtype="float64")
        opt.add_param_group({"params": [extra], "lr": 0.02})
        params = [*params, extra]
    elif k == 4:
        opt.load_state_dict(copy.deepcopy(opt.state_dict()))
    elif k == 5:
        with ember.no_grad():
            p1.mul_(0.5)  # written into the parameter's own array
    elif k == 6:
        state = opt.state[p1]
        key = next(k for k in state if k != "step")
        state[key] = ember.zeros_like(state[key])
    elif k == 7:
        p1.grad = ember.tensor(
            p1.detach().numpy(), dtype="float32"
        )  # promoted by the rule, one at a time
    elif k == 8:
        opt.zero_grad(set_to_none=False)
        for p in params:
            p.grad = ember.ones_like(p)
    elif k == 9:
        opt.param_groups[0]["lr"] *= 0.5
    elif k == 10:
        p0.data = ember.tensor(
            p0.detach().numpy(), dtype="float32"
        )  # another dtype: another bucket
    return params


@pytest.mark.parametrize(
    "case",
    [(SGD, {"lr": 0.1, "momentum": 0.9}), (Adam, {"lr": 0.01, "amsgrad": True}), CASES[8]],
    ids=case_id,
)
def test_the_layout_follows_what_users_change(case):
    cls, kwargs = case
    params, opt = run(cls, kwargs, {"foreach": True}, between=user_actions)
    loop_params, loop_opt = run(cls, kwargs, {"foreach": False}, between=user_actions)
    assert_same_bits(params, loop_params, opt, loop_opt)


def test_a_replaced_parameter_is_updated_through_its_new_array():
    params = [ember.tensor([1.0, 2.0], requires_grad=True) for _ in range(2)]
    opt = stepped_once(SGD(params, lr=0.5), params)
    params[0].data = ember.tensor([10.0, 20.0])
    opt.step()
    assert params[0].tolist() == [9.5, 19.5] and params[1].tolist() == [0.0, 1.0]


def test_a_deep_copy_trains_on_its_own():
    params = make_params()
    opt = Adam(params, lr=0.1)
    for k in range(2):
        set_grads(params, k)
        opt.step()
    copy_params, copy_opt = copy.deepcopy((params, opt))
    for k in range(2, 5):
        set_grads(params, k)
        set_grads(copy_params, k)
        opt.step()
        copy_opt.step()
    assert_same_bits(params, copy_params, opt, copy_opt)
    before = [p.detach().numpy().copy() for p in copy_params]
    set_grads(params, 5)
    opt.step()
    assert all(np.array_equal(p.detach().numpy(), b) for p, b in zip(copy_params, before))


@pytest.mark.parametrize("case", [CASES[1], CASES[4], CASES[9]], ids=case_id)
def test_checkpoints_move_between_the_loop_and_flat_buffers(case):
    cls, kwargs = case
    params, opt = run(cls, kwargs, {"foreach": True}, steps=4)
    _, loop_opt = run(cls, kwargs, {"foreach": False}, steps=4)
    resumed = [ember.tensor(p.detach().numpy(), dtype=p.dtype, requires_grad=True) for p in params]
    resumed_loop = [
        ember.tensor(p.detach().numpy(), dtype=p.dtype, requires_grad=True) for p in params
    ]
    flat_from_loop = make_opt(cls, kwargs, resumed, foreach=True)
    flat_from_loop.load_state_dict(loop_opt.state_dict())
    loop_from_flat = make_opt(cls, kwargs, resumed_loop, foreach=False)
    loop_from_flat.load_state_dict(opt.state_dict())
    for k in range(4, 8):
        for ps, o in [(params, opt), (resumed, flat_from_loop), (resumed_loop, loop_from_flat)]:
            set_grads(ps, k)
            o.step()
    assert_same_bits(resumed, resumed_loop, flat_from_loop, loop_from_flat)
    # NAdam's mu_product comes back in the parameter's dtype (as in PyTorch): rounding apart,
    # the resumed runs continue the first one
    for p, q in zip(params, resumed):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=0)


def test_checkpoint_goes_to_torch_and_back():
    torch = pytest.importorskip("torch")
    params, opt = run(Adam, {"lr": 0.01, "amsgrad": True}, {"fused": True}, steps=3)
    tparams = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in params]
    topt = make_opt(torch.optim.Adam, {"lr": 0.01, "amsgrad": True}, tparams)
    sd = opt.state_dict()
    topt.load_state_dict(
        {
            "state": {
                i: {k: torch.tensor(v.numpy()) for k, v in s.items()}
                for i, s in sd["state"].items()
            },
            "param_groups": sd["param_groups"],
        }
    )
    for k in range(3, 6):
        set_grads(params, k)
        opt.step()
        for p, t in zip(params, tparams):
            t.grad = None if p.grad is None else torch.tensor(p.grad.numpy())
        topt.step()
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-15)
    back = [
        ember.tensor(t.detach().numpy(), p.dtype, requires_grad=True)
        for p, t in zip(params, tparams)
    ]
    back_opt = make_opt(Adam, {"lr": 0.01, "amsgrad": True}, back)
    back_opt.load_state_dict(
        {
            "state": {
                i: {k: v.numpy() for k, v in s.items()}
                for i, s in topt.state_dict()["state"].items()
            },
            "param_groups": topt.state_dict()["param_groups"],
        }
    )
    ours = opt.state_dict()["state"]
    for i, s in back_opt.state_dict()["state"].items():
        assert list(s) == list(ours[i])
        for key, value in s.items():
            assert value.shape == ours[i][key].shape and value.dtype == ours[i][key].dtype


@pytest.mark.parametrize("case", [CASES[1], CASES[5], CASES[8]], ids=case_id)
def test_small_buckets_and_an_empty_parameter(case, monkeypatch):
    """Parameters spread over several buckets, or alone on their own arrays (one larger than a
    bucket), give the same bits."""
    monkeypatch.setattr(flat, "BUCKET_BYTES", 48)
    cls, kwargs = case

    def with_empty(k, opt, params):
        if k == 0:
            empty = ember.zeros(0, 3, dtype="float64", requires_grad=True)
            empty.grad = ember.zeros(0, 3, dtype="float64")
            opt.add_param_group({"params": [empty]})
            params = [*params, empty]
        return params

    params, opt = run(cls, kwargs, {"foreach": True}, between=with_empty)
    loop_params, loop_opt = run(cls, kwargs, {"foreach": False}, between=with_empty)
    assert_same_bits(params, loop_params, opt, loop_opt)
    bases = {None if p._data.base is None else id(p._data.base) for p in params}
    assert None in bases and len(bases) > 1  # some alone on their own arrays, some laid out


@pytest.mark.parametrize("cls", [SGD, AdamW], ids=lambda c: c.__name__)
def test_training_a_module_with_backward_and_zero_grad(cls):
    """Gradients from backward, zero_grad (to None) between steps, a frozen layer for a while."""

    def train(foreach):
        ember.manual_seed(0)
        model = ember.nn.Sequential(
            ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 3)
        ).double()
        opt = cls(model.parameters(), lr=0.05, foreach=foreach)
        x = ember.tensor(np.linspace(-1, 1, 20).reshape(5, 4), dtype="float64")
        y = ember.tensor([0, 2, 1, 1, 0])
        for k in range(10):
            model[0].requires_grad_(k not in (3, 4))
            opt.zero_grad()
            ember.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return list(model.parameters()), opt

    params, opt = train(True)
    loop_params, loop_opt = train(False)
    assert_same_bits(params, loop_params, opt, loop_opt)
