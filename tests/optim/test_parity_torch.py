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

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 1e-3}),
    ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.9, "weight_decay": 1e-3}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 1e-2}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "eps": 1e-6}),
    ("Adam", {"lr": 0.005, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
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


def train(lib, optim, loss_fn, name, kwargs, use_closure):
    params = [lib.tensor(w, dtype=lib.float64, requires_grad=True) for w in initial_weights()]
    opt = getattr(optim, name)(params, **kwargs)
    losses = []
    for x, y in batches():

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
    return losses, [p.detach().numpy() for p in params]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_loss_trajectory_matches_torch(name, kwargs):
    use_closure = "momentum" in kwargs
    ours, our_params = train(ember, ember.optim, ember_loss, name, kwargs, use_closure)
    theirs, their_params = train(torch, torch.optim, torch_loss, name, kwargs, False)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert abs(ours[-1] - ours[0]) > 1e-3  # the weights really moved


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


def test_torch_checkpoint_continues_in_ember():
    """A torch optimizer's state_dict (tensors as arrays) resumes the same run in ember."""
    data = batches()
    theirs = [torch.tensor(w, requires_grad=True) for w in initial_weights()]
    t_opt = torch.optim.Adam(theirs, lr=0.01, amsgrad=True)
    for x, y in data[:5]:
        t_opt.zero_grad()
        torch_loss(theirs, x, y).backward()
        t_opt.step()
    sd = t_opt.state_dict()
    sd["state"] = {i: {k: v.numpy() for k, v in s.items()} for i, s in sd["state"].items()}
    ours = [ember.tensor(p.detach().numpy(), dtype="float64", requires_grad=True) for p in theirs]
    opt = ember.optim.Adam(ours)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["amsgrad"] is True and opt.state[ours[0]]["step"].item() == 5
    for x, y in data[5:10]:
        t_opt.zero_grad()
        torch_loss(theirs, x, y).backward()
        t_opt.step()
        opt.zero_grad()
        ember_loss(ours, x, y).backward()
        opt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-9)
