"""Optimizer state stays free of subnormal floats: every ``_flush_every`` steps the optimizer
zeroes the entries that a moving average leaves below the smallest normal float when its gradient
entry is exactly 0, and nothing else changes."""

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.backend import flush_subnormal

STEPS = 180  # the dead column's exp_avg (beta1 0.6) is subnormal from about step 150


def subnormal_count(a: np.ndarray) -> int:
    return int(np.count_nonzero((np.abs(a) < np.finfo(a.dtype).tiny) & (a != 0)))


def state_subnormals(opt: optim.Optimizer) -> int:
    arrays = [
        v._data for s in opt.state.values() for v in s.values() if isinstance(v, ember.Tensor)
    ]
    return sum(subnormal_count(a) for a in arrays)


def dead_pixel_run(flush_every: int, steps: int = STEPS, dtype=ember.float32):
    """A linear classifier on inputs whose first feature (a border pixel) is lit only at the first
    step: its weight column then gets exactly-0 gradients, so Adam's exp_avg there shrinks by beta1
    per step through the subnormal range, where it sticks. Returns the model, the optimizer and
    the state's subnormal count after each step."""
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((16, 5)), dtype=dtype)
    y = ember.tensor(rng.integers(0, 3, 16))
    model = nn.Linear(5, 3).to(dtype)
    opt = optim.Adam(model.parameters(), lr=1e-2, betas=(0.6, 0.999))
    opt._flush_every = flush_every
    counts = []
    for step in range(steps):
        x._data[:, 0] = 1.0 if step == 0 else 0.0
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        counts.append(state_subnormals(opt))
    return model, opt, counts


@pytest.fixture(scope="module")
def runs():
    return {every: dead_pixel_run(every) for every in (10**9, 25)}


def test_the_mechanism_leaves_subnormals_in_exp_avg_without_the_flush(runs):
    model, opt, counts = runs[10**9]
    exp_avg = opt.state[model.weight]["exp_avg"]._data
    assert subnormal_count(exp_avg[:, 0]) == 3  # the dead column, stuck in the subnormal range
    assert subnormal_count(exp_avg[:, 1:]) == 0
    assert counts[-1] == 3 and counts[STEPS // 2] == 0


def test_the_flush_stops_them_accumulating(runs):
    _, _, counts = runs[25]
    assert max(counts) > 0  # they still appear between two passes ...
    assert all(counts[k] == 0 for k in range(24, STEPS, 25))  # ... and each pass clears them
    assert max(counts) <= 3


def test_the_flush_changes_nothing_else(runs):
    (model_a, opt_a, _), (model_b, opt_b, _) = runs[10**9], runs[25]
    for name in ("weight", "bias"):
        np.testing.assert_array_equal(getattr(model_a, name)._data, getattr(model_b, name)._data)
        for key in ("exp_avg", "exp_avg_sq"):
            a = opt_a.state[getattr(model_a, name)][key]._data
            b = opt_b.state[getattr(model_b, name)][key]._data
            normal = np.abs(a) >= np.finfo(a.dtype).tiny
            np.testing.assert_array_equal(a[normal], b[normal])
            assert not b[~normal].any()


def test_flush_keeps_a_run_without_subnormals_bit_identical():
    def run(flush_every):
        ember.manual_seed(0)
        model = nn.Linear(4, 2)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt._flush_every = flush_every
        x = ember.randn(8, 4)
        for _ in range(5):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()
        return model.weight._data.copy(), opt.state[model.weight]["momentum_buffer"]._data.copy()

    for a, b in zip(run(10**9), run(1)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_flush_subnormal_zeroes_exactly_the_subnormals(dtype):
    info = np.finfo(dtype)
    a = np.array([info.tiny, -info.tiny, info.tiny / 2, -info.smallest_subnormal, 0, 1, -3], dtype)
    view = a[::2]  # a strided view is flushed in place too
    flush_subnormal(view)
    expected = [info.tiny, -info.tiny, 0, -info.smallest_subnormal, 0, 1, -3]  # [3]: not in view
    np.testing.assert_array_equal(a, np.array(expected, dtype))


def test_flush_subnormal_leaves_other_dtypes_alone():
    ints = np.array([0, 1, -2])
    flush_subnormal(ints)
    np.testing.assert_array_equal(ints, [0, 1, -2])


def test_adam_matches_torch_with_the_flush():
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    start = nn.Linear(5, 3)  # dead_pixel_run's first draws
    model, opt, _ = dead_pixel_run(25)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((16, 5)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 3, 16))
    ref = torch.nn.Linear(5, 3)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(start.weight._data))
        ref.bias.copy_(torch.from_numpy(start.bias._data))
    topt = torch.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.6, 0.999))
    for step in range(STEPS):
        x[:, 0] = 1.0 if step == 0 else 0.0
        topt.zero_grad()
        torch.nn.functional.cross_entropy(ref(x), y).backward()
        topt.step()
    np.testing.assert_allclose(
        model.weight._data, ref.weight.detach().numpy(), rtol=1e-5, atol=1e-6
    )
    torch_exp_avg = topt.state[ref.weight]["exp_avg"].numpy()
    assert subnormal_count(torch_exp_avg) > 0  # PyTorch keeps them; ember's are zero
    assert subnormal_count(opt.state[model.weight]["exp_avg"]._data) == 0


@pytest.mark.parametrize(
    "make, stop",
    [
        (lambda ps: optim.Adam(ps, 1e-2, betas=(0.6, 0.999)), 60),
        (lambda ps: optim.SGD(ps, 0.1, 0.6), 75),
    ],
    ids=["adam", "sgd"],
)
def test_a_run_resumed_from_its_state_dict_flushes_at_the_same_steps(make, stop):
    """The flush clock is the step count in the state (Adam), so stopping at step 60, loading the
    state_dict into a new optimizer and going on ends bit-identical to the run never stopped,
    state included: the dead column turns subnormal at step 166 and both runs flush it at 175 (a
    clock restarted at the resume would flush at 185). SGD keeps no step count: its clock is the
    optimizer's own, so the test resumes it at a multiple of the flush period."""
    every, end = 25, 180

    def batch(step):
        rng = np.random.default_rng(step)
        x = ember.tensor(rng.standard_normal((16, 5)).astype(np.float32))
        x._data[:, 0] = 1.0 if step == 0 else 0.0
        return x, ember.tensor(rng.integers(0, 3, 16))

    def train(model, opt, steps):
        opt._flush_every = every
        for step in steps:
            x, y = batch(step)
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    ember.manual_seed(0)
    whole, resumed = nn.Linear(5, 3), nn.Linear(5, 3)
    resumed.load_state_dict(whole.state_dict())
    whole_opt = make(whole.parameters())
    train(whole, whole_opt, range(end))
    first = make(resumed.parameters())
    train(resumed, first, range(stop))
    second = make(resumed.parameters())
    second.load_state_dict(first.state_dict())
    train(resumed, second, range(stop, end))
    assert state_subnormals(whole_opt) == 0
    for a, b in zip(whole.parameters(), resumed.parameters()):
        assert np.array_equal(a._data, b._data)
        for key, value in whole_opt.state[a].items():
            assert np.array_equal(value._data, second.state[b][key]._data), key
