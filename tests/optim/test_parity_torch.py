"""Training an MLP with ember's optimizers follows torch's loss trajectory step for step."""

import itertools

import numpy as np
import pytest

import ember
import ember.optim

torch = pytest.importorskip("torch")

SIZES = [6, 16, 16, 3]
STEPS = 50
BATCH = 16


def combos(name, base, **choices):
    """One case per combination of the values in ``choices``, on top of the options ``base``.
    The first combination is a quick check; the others are marked slow."""
    keys = list(choices)
    cases = [
        (name, {**base, **dict(zip(keys, values))})
        for values in itertools.product(*choices.values())
    ]
    slow = [pytest.param(*c, marks=pytest.mark.slow, id=case_id(*c)) for c in cases[1:]]
    return [cases[0], *slow]


def case_id(name, kwargs):
    return f"{name}-{kwargs}"


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "foreach": True, "differentiable": False}),
    ("SGD", {"lr": 0.05, "fused": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 1e-3}),
    ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "fused": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.9, "weight_decay": 1e-3}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.005, "maximize": True, "foreach": True, "capturable": False}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 1e-2}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "eps": 1e-6}),
    ("Adam", {"lr": 0.005, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "fused": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    *combos(
        "Adadelta", {"lr": 0.5}, rho=[0.9, 0.5], weight_decay=[0, 1e-2], maximize=[False, True]
    ),
    ("Adadelta", {"eps": 1e-4, "foreach": True, "capturable": False, "differentiable": False}),
    *combos(
        "Adamax",
        {"lr": 0.01},
        betas=[(0.9, 0.999), (0.3, 0.8)],
        weight_decay=[0, 1e-2],
        maximize=[False, True],
    ),
    ("Adamax", {"eps": 1e-3, "foreach": False}),
    *combos(
        "NAdam",
        {"lr": 0.01},
        weight_decay=[0, 1e-2],
        decoupled_weight_decay=[False, True],
        maximize=[False, True],
    ),
    ("NAdam", {"lr": 0.02, "betas": (0.5, 0.9), "momentum_decay": 0.1, "eps": 1e-4}),
    *combos(
        "RAdam",
        {"lr": 0.01},
        weight_decay=[0, 1e-2],
        decoupled_weight_decay=[False, True],
        maximize=[False, True],
    ),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-3, "foreach": True}),
    *combos(
        "Rprop",
        {"lr": 0.01},
        etas=[(0.5, 1.2), (0.3, 1.5)],
        step_sizes=[(1e-6, 50), (1e-3, 0.02)],
        maximize=[False, True],
    ),
    *combos(
        "ASGD",
        {"lr": 0.05},
        t0=[1e6, 10],
        weight_decay=[0, 1e-2],
        maximize=[False, True],
    ),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5, "foreach": True}),
]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny matrices: torch's thread pool only adds overhead (a lot of it on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def initial_weights():
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)))
        weights.append(rng.uniform(-bound, bound, fan_out))
    return weights


def batches():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((STEPS * BATCH, SIZES[0]))
    y = rng.integers(0, SIZES[-1], STEPS * BATCH)
    return [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)]


def ember_loss(params, x, y):
    h = ember.tensor(x, dtype=params[0].dtype)
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    onehot = ember.tensor(np.eye(SIZES[-1])[y])
    return -(h.log_softmax(1) * onehot).sum(1).mean()


def torch_loss(params, x, y):
    h = torch.tensor(x)
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    return torch.nn.functional.cross_entropy(h, torch.tensor(y))


def train(lib, optim, loss_fn, name, kwargs, use_closure, data=None):
    params = [lib.tensor(w, dtype=lib.float64, requires_grad=True) for w in initial_weights()]
    opt = getattr(optim, name)(params, **kwargs)
    losses = []
    for x, y in batches() if data is None else data:

        def closure(x=x, y=y):
            opt.zero_grad()
            loss = loss_fn(params, x, y)
            loss.backward()
            return loss

        if use_closure:
            losses.append(opt.step(closure).item())
        else:
            losses.append(closure().item())
            opt.step()
    return losses, [p.detach().numpy() for p in params], to_lib(opt.state_dict()["state"], np)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [pytest.param(*c, id=case_id(*c)) if type(c) is tuple else c for c in CASES],
)
def test_loss_trajectory_matches_torch(name, kwargs):
    use_closure = "momentum" in kwargs
    ours, our_params, our_state = train(ember, ember.optim, ember_loss, name, kwargs, use_closure)
    theirs, their_params, their_state = train(torch, torch.optim, torch_loss, name, kwargs, False)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for a, b, atol in zip(our_params, their_params, _torch_spread(name, kwargs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)
    assert_same_state(our_state, their_state)
    moved = max(np.abs(a - w).max() for a, w in zip(our_params, initial_weights()))
    assert moved > 1e-3  # the weights really moved


def _torch_spread(name: str, kwargs: dict) -> list[float]:
    """Per parameter, the absolute tolerance: 1e-9, or for foreach/fused options twice the
    difference between PyTorch's own foreach and single-tensor results where that is larger
    (its foreach ASGD differs from its loop by 2e-9 on some CPUs)."""
    if not (kwargs.get("foreach") or kwargs.get("fused")):
        return [1e-9] * len(initial_weights())
    options = {k: v for k, v in kwargs.items() if k not in ("foreach", "fused")}
    grouped = train(torch, torch.optim, torch_loss, name, kwargs, False)[1]
    loop = train(torch, torch.optim, torch_loss, name, {**options, "foreach": False}, False)[1]
    return [max(1e-9, 2 * float(np.abs(a - b).max())) for a, b in zip(grouped, loop)]


LBFGS_CASES = [
    *combos(
        "LBFGS",
        {"max_iter": 5},
        line_search_fn=[None, "strong_wolfe"],
        lr=[0.5, 1],
        history_size=[100, 3],
    ),
    ("LBFGS", {"max_iter": 8, "max_eval": 5, "line_search_fn": "strong_wolfe"}),
    ("LBFGS", {"lr": 0.3, "tolerance_grad": 0.02, "tolerance_change": 1e-3}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [pytest.param(*c, id=case_id(*c)) if type(c) is tuple else c for c in LBFGS_CASES],
)
def test_lbfgs_matches_torch(name, kwargs):
    """Full-batch L-BFGS: each ``step(closure)`` runs several iterations (and line searches)."""
    x, y = (np.concatenate(parts) for parts in zip(*batches()[:4]))
    data = [(x, y)] * 6
    ours, our_params, our_state = train(ember, ember.optim, ember_loss, name, kwargs, True, data)
    theirs, their_params, their_state = train(
        torch, torch.optim, torch_loss, name, kwargs, True, data
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert_same_state(our_state, their_state)
    assert ours[-1] < ours[0] - 0.05


def test_float32_training_stays_float32():
    params = [ember.tensor(w, requires_grad=True) for w in initial_weights()]
    opt = ember.optim.Adam(params, lr=0.01)
    for x, y in batches()[:3]:
        opt.zero_grad()
        loss = ember_loss(params, x, y)
        assert loss.dtype == ember.float32
        loss.backward()
        opt.step()
    assert all(p.dtype == ember.float32 for p in params)
    assert all(s["exp_avg"].dtype == ember.float32 for s in opt.state.values())


ROUND_TRIPS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adadelta", {"lr": 0.5, "weight_decay": 1e-2}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 1e-2}),
    ("Rprop", {"lr": 0.01, "step_sizes": (1e-3, 0.05)}),
    ("ASGD", {"lr": 0.05, "t0": 3}),
    ("LBFGS", {"lr": 0.5, "max_iter": 3, "history_size": 4}),
    ("LBFGS", {"max_iter": 3, "line_search_fn": "strong_wolfe"}),
]


def to_lib(value, lib):
    """A ``state_dict`` value with every tensor turned into one of ``lib`` (or a NumPy array)."""
    if isinstance(value, dict):
        return {k: to_lib(v, lib) for k, v in value.items()}
    if isinstance(value, list):
        return [to_lib(v, lib) for v in value]
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        array = value.detach().numpy()
        return (
            array.copy() if lib is np else lib.tensor(array, dtype=getattr(lib, str(array.dtype)))
        )
    return value


def assert_same_state(ours, theirs):
    """Optimizer states (as ``to_lib(..., np)`` gives them): the same keys, types and values
    (a scalar may be a number on one side and a 0-d tensor on the other, as L-BFGS's ``t``)."""
    ours, theirs = (
        v.item() if isinstance(v, np.ndarray) and not v.ndim else v for v in (ours, theirs)
    )
    if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)):
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-9)
        return
    assert type(ours) is type(theirs)
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for k in ours:
            assert_same_state(ours[k], theirs[k])
    elif isinstance(ours, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_state(a, b)
    elif isinstance(ours, np.ndarray):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    else:
        assert ours == theirs


def steps(opt, loss_fn, params, data):
    for x, y in data:

        def closure(x=x, y=y):
            opt.zero_grad()
            loss = loss_fn(params, x, y)
            loss.backward()
            return loss

        opt.step(closure)


@pytest.mark.parametrize("direction", ["torch->ember", "ember->torch"])
@pytest.mark.parametrize(("name", "kwargs"), ROUND_TRIPS, ids=[case_id(*c) for c in ROUND_TRIPS])
def test_checkpoint_continues_in_the_other_library(name, kwargs, direction):
    """A ``state_dict`` of one library, tensors converted, resumes the same run in the other."""
    libs = [(torch, torch.optim, torch_loss), (ember, ember.optim, ember_loss)]
    (src, src_optim, src_loss), (dst, dst_optim, dst_loss) = (
        libs if direction == "torch->ember" else libs[::-1]
    )
    data = batches()
    first = [src.tensor(w, dtype=src.float64, requires_grad=True) for w in initial_weights()]
    first_opt = getattr(src_optim, name)(first, **kwargs)
    steps(first_opt, src_loss, first, data[:5])
    sd = first_opt.state_dict()
    second = [dst.tensor(p.detach().numpy(), dtype=dst.float64, requires_grad=True) for p in first]
    second_opt = getattr(dst_optim, name)(second)
    second_opt.load_state_dict(to_lib(sd, dst))
    assert second_opt.param_groups[0] == {**sd["param_groups"][0], "params": second}
    assert list(second_opt.state[second[0]]) == list(sd["state"][0])
    steps(first_opt, src_loss, first, data[5:10])
    steps(second_opt, dst_loss, second, data[5:10])
    for a, b in zip(first, second):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)
