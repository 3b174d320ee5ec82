"""Optimizer steps against values worked out by hand from the documented update rules."""

import inspect
import math

import numpy as np
import pytest

import ember
from ember.optim import (
    ASGD,
    LBFGS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    Optimizer,
    RAdam,
    RMSprop,
    Rprop,
)

OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD]


def param(*values, dtype="float64"):
    return ember.tensor(list(values), dtype=dtype, requires_grad=True)


def run(opt, p, grads):
    """Step ``opt`` once per gradient (each set by hand) and return p's values after each step."""
    out = []
    for g in grads:
        p.grad = ember.tensor(g, dtype=p.dtype)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


# ---------------------------------------------------------------------------- SGD
def test_sgd_plain_step():
    p = param(1.0, -2.0)
    (after,) = run(SGD([p], lr=0.1), p, [[0.5, 1.0]])
    np.testing.assert_allclose(after, [0.95, -2.1], rtol=0, atol=1e-15)


def test_sgd_momentum_buffer_starts_as_the_gradient():
    p = param(1.0)
    # b1 = g1 = 1 (no dampening on the first step); b2 = 0.9 * 1 + 0.5 * 2 = 1.9
    a, b = run(SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p, [[1.0], [2.0]])
    np.testing.assert_allclose(a, [1.0 - 0.1], atol=1e-15)
    np.testing.assert_allclose(b, [0.9 - 0.19], atol=1e-15)


def test_sgd_nesterov():
    p = param(0.0)
    # step 1: b = 1, d = 1 + 0.9 * 1 = 1.9; step 2: b = 0.9 + 1 = 1.9, d = 1 + 0.9 * 1.9 = 2.71
    a, b = run(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [[1.0], [1.0]])
    np.testing.assert_allclose(a, [-0.19], atol=1e-15)
    np.testing.assert_allclose(b, [-0.19 - 0.271], atol=1e-15)


def test_sgd_weight_decay_and_maximize():
    p = param(2.0)
    # maximize: g = -1; plus L2: g = -1 + 0.1 * 2 = -0.8; p = 2 - 0.5 * (-0.8) = 2.4
    (after,) = run(SGD([p], lr=0.5, weight_decay=0.1, maximize=True), p, [[1.0]])
    np.testing.assert_allclose(after, [2.4], atol=1e-15)


# ---------------------------------------------------------------------------- Adagrad
def test_adagrad_two_steps_with_lr_decay_and_initial_accumulator():
    p = param(1.0)
    opt = Adagrad([p], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    a, b = run(opt, p, [[3.0], [4.0]])
    # step 1: sum = 1 + 9 = 10, clr = 0.1; step 2: sum = 26, clr = 0.1 / 1.5
    np.testing.assert_allclose(a, [1.0 - 0.1 * 3 / math.sqrt(10)], atol=1e-15)
    np.testing.assert_allclose(b, a - 0.1 / 1.5 * 4 / math.sqrt(26), atol=1e-15)


def test_adagrad_state_exists_before_the_first_step():
    p = param(1.0, 2.0)
    opt = Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25, 0.25]
    assert opt.state[p]["step"].item() == 0.0
    q = param(3.0)
    opt.add_param_group({"params": [q], "initial_accumulator_value": 2.0})
    assert opt.state[q]["sum"].tolist() == [2.0]


# ---------------------------------------------------------------------------- RMSprop
def test_rmsprop_plain():
    p = param(1.0)
    a, b = run(RMSprop([p], lr=0.01, alpha=0.9, eps=0.0), p, [[2.0], [1.0]])
    # v1 = 0.1 * 4 = 0.4; v2 = 0.9 * 0.4 + 0.1 * 1 = 0.46
    np.testing.assert_allclose(a, [1.0 - 0.01 * 2 / math.sqrt(0.4)], atol=1e-15)
    np.testing.assert_allclose(b, a - 0.01 / math.sqrt(0.46), atol=1e-15)


def test_rmsprop_centered_with_momentum():
    p = param(0.0)
    opt = RMSprop([p], lr=0.1, alpha=0.5, eps=0.0, momentum=0.5, centered=True)
    a, b = run(opt, p, [[2.0], [4.0]])
    # step 1: v = 2, m = 1, d = sqrt(2 - 1) = 1, buf = 2, p = -0.2
    # step 2: v = 1 + 8 = 9, m = 0.5 + 2 = 2.5, d = sqrt(9 - 6.25), buf = 1 + 4 / d
    np.testing.assert_allclose(a, [-0.2], atol=1e-15)
    np.testing.assert_allclose(b, -0.2 - 0.1 * (1 + 4 / math.sqrt(2.75)), atol=1e-15)
    assert set(opt.state[p]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}


# ---------------------------------------------------------------------------- Adam / AdamW
def test_adam_bias_correction():
    p = param(1.0)
    a, b = run(Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0), p, [[2.0], [-1.0]])
    # step 1: m = 1, v = 1; m_hat = 1 / 0.5 = 2, v_hat = 1 / 0.25 = 4: p = 1 - 0.1 * 2 / 2
    np.testing.assert_allclose(a, [0.9], atol=1e-15)
    # step 2: m = 0.5 - 0.5 = 0, so p stays (v = 0.75 + 0.25 = 1)
    np.testing.assert_allclose(b, [0.9], atol=1e-15)
    state = Adam([p]).state_dict()["state"]
    assert state == {}


def test_adam_second_step_and_eps():
    p = param(0.0)
    a, b = run(Adam([p], lr=1.0, betas=(0.5, 0.5), eps=1.0), p, [[1.0], [3.0]])
    # step 1: m_hat = 1, v_hat = 1: p = -1 / (1 + 1)
    np.testing.assert_allclose(a, [-0.5], atol=1e-15)
    # step 2: m = 0.5 * 0.5 + 1.5 = 1.75, v = 0.25 + 4.5 = 4.75, bc = 0.75 for both
    m_hat, v_hat = 1.75 / 0.75, 4.75 / 0.75
    np.testing.assert_allclose(b, [-0.5 - m_hat / (math.sqrt(v_hat) + 1)], atol=1e-15)


def test_adam_amsgrad_keeps_the_largest_second_moment():
    p = param(0.0)
    opt = Adam([p], lr=1.0, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    a, b = run(opt, p, [[2.0], [1.0]])
    # step 1: v = 2, max = 2, d = sqrt(2) / sqrt(0.5) = 2: p = -1
    # step 2: v = 1 + 0.5 = 1.5 < max = 2; d = sqrt(2) / sqrt(0.75)
    np.testing.assert_allclose(a, [-1.0], atol=1e-15)
    np.testing.assert_allclose(b, [-1.0 - 1.0 / (math.sqrt(2) / math.sqrt(0.75))], atol=1e-15)
    assert opt.state[p]["max_exp_avg_sq"].item() == 2.0


def test_adam_l2_versus_adamw_decoupled_decay():
    p, q = param(2.0), param(2.0)
    run(Adam([p], lr=0.1, weight_decay=0.5, eps=0.0), p, [[0.0]])
    run(AdamW([q], lr=0.1, weight_decay=0.5), q, [[0.0]])
    # Adam: g = 0 + 0.5 * 2 = 1, a unit step of lr; AdamW: p *= 1 - 0.05, then g = 0 moves nothing
    np.testing.assert_allclose(p.detach().numpy(), [1.9], atol=1e-15)
    np.testing.assert_allclose(q.detach().numpy(), [1.9], atol=1e-15)
    r = param(2.0)
    run(AdamW([r], lr=0.1, weight_decay=0.5, eps=0.0), r, [[4.0]])
    np.testing.assert_allclose(r.detach().numpy(), [1.9 - 0.1], atol=1e-15)


def test_adamw_defaults():
    opt = AdamW([param(1.0)])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert group["lr"] == 1e-3 and group["betas"] == (0.9, 0.999) and group["eps"] == 1e-8


# ---------------------------------------------------------------------------- shared behaviour
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_float32_stays_float32_and_no_graph(cls):
    p = param(1.0, -1.0, dtype="float32")
    opt = cls([p], lr=0.1)
    version = p._version
    for _ in range(2):
        p.grad = ember.tensor([0.3, -0.7])
        opt.step()
    assert p.dtype == ember.float32 and p.is_leaf and p.requires_grad
    assert p._version == version + 2
    for value in opt.state[p].values():
        if value.ndim:
            assert value.dtype == ember.float32
    assert not np.array_equal(p.detach().numpy(), [1.0, -1.0])


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_parameters_without_grad_are_skipped(cls):
    p, q = param(1.0), param(2.0)
    opt = cls([p, q], lr=0.1)
    p.grad = ember.tensor([1.0], dtype="float64")
    opt.step()
    assert q.item() == 2.0 and p.item() != 1.0
    assert q not in opt.state or cls is Adagrad


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_negative_learning_rate_is_rejected(cls):
    with pytest.raises(ValueError, match="Invalid learning rate"):
        cls([param(1.0)], lr=-0.1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (SGD, {"momentum": -0.1}, "momentum"),
        (SGD, {"nesterov": True}, "Nesterov"),
        (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
        (Adam, {"betas": (1.0, 0.999)}, "beta parameter at index 0"),
        (AdamW, {"betas": (0.9, -0.1)}, "beta parameter at index 1"),
        (Adam, {"eps": -1.0}, "epsilon"),
        (RMSprop, {"alpha": -0.5}, "alpha"),
        (Adagrad, {"lr_decay": -1.0}, "lr_decay"),
        (Adagrad, {"weight_decay": -1.0}, "weight_decay"),
        (Adadelta, {"rho": 1.5}, "rho"),
        (Adadelta, {"eps": -1.0}, "epsilon"),
        (Adamax, {"betas": (0.9, 1.0)}, "beta parameter at index 1"),
        (Adamax, {"weight_decay": -1e-3}, "weight_decay"),
        (NAdam, {"momentum_decay": -1.0}, "momentum_decay"),
        (NAdam, {"betas": (-0.1, 0.9)}, "beta parameter at index 0"),
        (RAdam, {"eps": -1.0}, "epsilon"),
        (Rprop, {"etas": (1.2, 0.5)}, "eta values"),
        (Rprop, {"etas": (0.0, 1.2)}, "eta values"),
        (ASGD, {"weight_decay": -1.0}, "weight_decay"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([param(1.0)], **kwargs)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_torch_implementation_switches(cls):
    """``foreach`` runs the same update; ``capturable`` and ``differentiable`` are accepted and
    ``step`` then fails as PyTorch's does on a CPU-only machine (no capturable device; an
    in-place update of a leaf that requires grad)."""
    p, q = param(1.0, 2.0), param(1.0, 2.0)
    plain, batched = cls([p], lr=0.1), cls([q], lr=0.1, foreach=True)
    assert batched.param_groups[0]["foreach"] is True
    for _ in range(2):
        p.grad = q.grad = ember.tensor([0.5, -1.0], dtype="float64")
        plain.step()
        batched.step()
    assert p.tolist() == q.tolist()
    p.grad = ember.tensor([1.0, 1.0], dtype="float64")
    if "capturable" in inspect.signature(cls).parameters:  # SGD and Adagrad have none
        with pytest.raises(AssertionError, match="capturable=True"):
            cls([p], capturable=True).step()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        cls([p], differentiable=True).step()
    assert p.tolist() == q.tolist()


@pytest.mark.parametrize("cls", [SGD, Adagrad, Adam, AdamW])
def test_fused_combinations(cls):
    p = param(1.0)
    assert cls([p], fused=True).param_groups[0]["fused"] is True
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        cls([p], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="does not support `differentiable`"):
        cls([p], fused=True, differentiable=True)


def test_param_groups_with_their_own_options():
    p, q = param(1.0), param(1.0)
    opt = SGD([{"params": [p]}, {"params": q, "lr": 1.0}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.5
    p.grad = ember.tensor([1.0], dtype="float64")
    q.grad = ember.tensor([1.0], dtype="float64")
    opt.step()
    assert p.item() == pytest.approx(0.9) and q.item() == pytest.approx(0.0)


def test_bad_params():
    p = param(1.0)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        SGD(p)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        SGD([{"params": {p}}])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        SGD([np.zeros(2)])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}])
    with pytest.warns(UserWarning, match="duplicate"):
        SGD([p, p])


def test_named_parameters():
    p, q = param(1.0), param(2.0)
    opt = Adam([("w", p), ("b", q)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert [id(t) for t in opt.param_groups[0]["params"]] == [id(p), id(q)]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_zero_grad():
    p = param(1.0, 2.0)
    opt = SGD([p])
    p.grad = ember.tensor([1.0, 1.0], dtype="float64")
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_runs_with_grad_enabled():
    p = param(3.0)
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert p.item() == pytest.approx(3.0 - 0.25 * 6.0)


def test_repr_lists_each_group_sorted():
    opt = SGD([{"params": [param(1.0)]}, {"params": [param(1.0)], "lr": 0.5}], lr=0.1)
    text = repr(opt)
    options = "    differentiable: False\n    foreach: None\n    fused: None\n"
    assert text.startswith(f"SGD (\nParameter Group 0\n    dampening: 0\n{options}    lr: 0.1\n")
    assert f"Parameter Group 1\n    dampening: 0\n{options}    lr: 0.5\n" in text
    assert text.endswith(")")


def test_custom_optimizer_subclass():
    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def _update(self, param, grad, state, group):
            param -= group["lr"] * np.sign(grad)

    p = param(1.0, 1.0)
    opt = SignSGD([p])
    p.grad = ember.tensor([5.0, -0.1], dtype="float64")
    opt.step()
    assert p.tolist() == [0.9, 1.1]


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_large_parameters_update_like_small_ones(cls):
    """Parameters above the chunk size of the in-place update give the same values elementwise."""
    rng = np.random.default_rng(0)
    n = 3 * 2**16 + 5
    values, grads = rng.standard_normal(n), rng.standard_normal((2, n))
    big = ember.tensor(values, dtype="float32", requires_grad=True)
    small = ember.tensor(values[-7:], dtype="float32", requires_grad=True)
    opt = cls([{"params": [big]}, {"params": [small]}], lr=0.1)
    for g in grads:
        big.grad, small.grad = ember.tensor(g, dtype="float32"), ember.tensor(g[-7:], "float32")
        opt.step()
    np.testing.assert_array_equal(big.detach().numpy()[-7:], small.detach().numpy())
    assert not np.array_equal(big.detach().numpy(), values.astype(np.float32))


def test_sub_scaled_matches_the_expression():
    from ember.optim.optimizer import sub_scaled

    rng = np.random.default_rng(1)
    for shape in [(5,), (300, 700), (2**16 + 1,)]:
        p, x = rng.standard_normal((2, *shape), dtype=np.float32)
        expected = p - np.float32(0.3) * x
        sub_scaled(p, 0.3, x)
        np.testing.assert_array_equal(p, expected)
    p = rng.standard_normal((700, 300), dtype=np.float32)
    x = rng.standard_normal((300, 700), dtype=np.float32).T  # not contiguous
    expected = p - np.float32(0.3) * x
    sub_scaled(p, 0.3, x)
    np.testing.assert_array_equal(p, expected)


# ---------------------------------------------------------------------------- L-BFGS
def quadratic_closure(opt, x, target):
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((x - ember.tensor(target, dtype=x.dtype)) ** 2 * ember.tensor([1.0, 10.0])).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    return closure, calls


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_closure_contract(line_search_fn):
    """``step(closure)`` calls the closure several times and returns its first loss."""
    x = param(3.0, -2.0)
    opt = LBFGS([x], lr=0.5, max_iter=7, line_search_fn=line_search_fn)
    closure, calls = quadratic_closure(opt, x, [1.0, 2.0])
    first = opt.step(closure)
    assert first.item() == calls[0] == 4.0 + 160.0
    assert 1 < len(calls) <= opt.param_groups[0]["max_eval"]
    state = opt.state[x]
    assert state["func_evals"] == len(calls) and state["n_iter"] <= 7
    assert calls[-1] < calls[0] / 10
    assert x.grad is not None and x.requires_grad and x.is_leaf


def test_lbfgs_stops_at_a_stationary_point_and_takes_one_group():
    x = param(1.0, 2.0)
    opt = LBFGS([x])
    closure, calls = quadratic_closure(opt, x, [1.0, 2.0])
    assert opt.step(closure).item() == 0.0 and len(calls) == 1
    assert x.tolist() == [1.0, 2.0]
    assert opt.param_groups[0]["max_eval"] == 25
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        LBFGS([{"params": [param(1.0)]}, {"params": [param(2.0)]}])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.add_param_group({"params": [param(1.0)]})
    y = param(3.0, 3.0)
    bad = LBFGS([y], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(quadratic_closure(bad, y, [0.0, 0.0])[0])
