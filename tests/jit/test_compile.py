"""ember.compile: record once, replay bit for bit; new signatures, fall-back, errors, threads."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.jit import Unsupported

from .helpers import replayed_in_two_threads, replays, same


def _mlp() -> nn.Module:
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4))


def _train(model: nn.Module, step_model, steps: int = 5, lr: float = 0.1) -> list:
    rng = np.random.default_rng(0)
    opt = ember.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        x = ember.tensor(rng.standard_normal((8, 6)), dtype=ember.float32)
        y = ember.tensor(rng.integers(0, 4, 8))
        opt.zero_grad()
        loss = ((step_model(x) - nn.functional.one_hot(y, 4)) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss._data)
    return losses


def test_module_training_is_bit_identical_to_eager():
    eager = _mlp()
    compiled_model = _mlp()
    compiled = ember.compile(compiled_model)
    a = _train(eager, eager)
    b = _train(compiled_model, compiled)
    assert replays(compiled)
    assert all(same(x, y) for x, y in zip(a, b))
    for p, q in zip(eager.parameters(), compiled_model.parameters()):
        assert same(p._data, q._data)


def test_replayed_output_has_one_node():
    model = ember.compile(_mlp())
    x = ember.randn(3, 6)
    model(x)
    out = model(x)
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    assert out.requires_grad


def test_optimized_module_looks_like_pytorchs():
    inner = _mlp()
    model = ember.compile(inner)
    assert model._orig_mod is inner
    assert list(model.state_dict()) == ["_orig_mod." + k for k in inner.state_dict()]
    inner.width = 16
    assert model.width == 16  # attribute reads reach the module
    model.eval()
    assert not inner.training and not model.training
    model.note = 3
    assert inner.note == 3


def test_module_compile_in_place_keeps_state_dict_keys():
    model = _mlp()
    keys = list(model.state_dict())
    assert model.compile() is None
    x = ember.randn(2, 6)
    eager = _mlp()(x)
    model(x)
    assert same(model(x)._data, eager._data)
    assert list(model.state_dict()) == keys


def test_function_with_several_outputs_and_shared_inputs():
    def f(x, w):
        h = x @ w
        return h.tanh(), (h * h).sum(), h

    compiled = ember.compile(f)
    rng = np.random.default_rng(1)
    x0, w0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    results = []
    for fn in (f, compiled, compiled, compiled):
        x = ember.tensor(x0, requires_grad=True)
        w = ember.tensor(w0, requires_grad=True)
        a, b, h = fn(x, w)
        (a.sum() * 2 + b + (h * 3).sum()).backward()
        results.append([a._data, b._data, x.grad._data, w.grad._data])
    assert replays(compiled)
    for r in results[1:]:
        assert all(same(p, q) for p, q in zip(results[0], r))


def test_only_some_outputs_used():
    def f(x):
        return x.exp(), x.sin()

    compiled = ember.compile(f)
    grads = []
    for fn in (f, compiled, compiled):
        x = ember.tensor([0.5, -1.0, 2.0], requires_grad=True)
        fn(x)[1].sum().backward()
        grads.append(x.grad._data)
    assert same(grads[0], grads[1]) and same(grads[0], grads[2])


def test_compiled_part_inside_an_eager_graph():
    block = ember.compile(lambda h: (h * 2).tanh())
    grads = []
    for _ in range(3):
        x = ember.tensor([0.1, 0.2, 0.3], requires_grad=True)
        h = x * 3
        (block(h) + h).sum().backward()
        grads.append(x.grad._data)
    x = ember.tensor([0.1, 0.2, 0.3], requires_grad=True)
    h = x * 3
    ((h * 2).tanh() + h).sum().backward()
    assert all(same(x.grad._data, g) for g in grads)


def test_new_shapes_record_again_and_the_cache_is_bounded():
    compiled = ember.compile(lambda x: x * 2, dynamic=False)
    for n in range(1, 9):
        assert same(compiled(ember.ones(n))._data, np.full(n, 2, np.float32))
    assert len(compiled._cache) == 8
    with pytest.warns(UserWarning, match="dynamic"):
        out = compiled(ember.ones(9))
    assert same(out._data, np.full(9, 2, np.float32))
    assert len(compiled._cache) == 8


def test_grad_mode_and_training_are_part_of_the_signature():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    compiled = ember.compile(model)
    x = ember.ones(2, 3)
    compiled(x)
    with ember.no_grad():
        assert not compiled(x).requires_grad
    model.eval()
    assert same(compiled(x)._data, model(x)._data)
    assert len(compiled.forward._cache) == 3


def test_item_inside_falls_back_with_a_warning_naming_the_line():
    def f(x):
        if x.sum().item() > 0:  # the line named in the warning
            return x * 2
        return x

    compiled = ember.compile(f)
    with pytest.warns(UserWarning, match=r"Tensor\.item\(\)") as caught:
        compiled(ember.ones(2))
    assert caught[0].filename == __file__
    assert caught[0].lineno == f.__code__.co_firstlineno + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only
        assert same(compiled(-ember.ones(2))._data, -np.ones(2, np.float32))


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (lambda x: x * bool(x.sum() > 0), "bool"),
        (lambda x: x * len(x.tolist()), "tolist"),
        (lambda x: x + ember.randn(2), "random"),
        (lambda x: x.add_(1), "argument"),
    ],
)
def test_fullgraph_raises(body, what):
    with pytest.raises(Unsupported, match=what):
        ember.compile(body, fullgraph=True)(ember.ones(2))


def test_backward_inside_falls_back():
    w = ember.ones(2, requires_grad=True)

    def step(x):
        loss = (x * w).sum()
        loss.backward()
        return loss

    with pytest.warns(UserWarning, match="backward"):
        ember.compile(step)(ember.ones(2))


def test_hooks_fall_back():
    model = _mlp()
    model[0].register_forward_hook(lambda m, i, o: None)
    with pytest.warns(UserWarning, match="hooks"):
        ember.compile(model)(ember.ones(2, 6))


def test_second_backward_and_double_backward_raise():
    compiled = ember.compile(lambda x: (x * x).sum())
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    compiled(x)
    y = compiled(x)
    y.backward(retain_graph=True)
    y.backward()
    assert same(x.grad._data, np.array([4.0, 8.0], np.float32))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = compiled(x)
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(z, x, create_graph=True)


def test_dropout_draws_as_eager():
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.3), nn.Linear(5, 1))
    compiled = ember.compile(model)
    x = ember.randn(4, 5)
    outs = []
    for fn in (model, compiled, compiled, compiled):
        ember.manual_seed(3)
        outs.append((fn(x)._data, ember.rand(1)._data))
    assert replays(compiled)
    assert all(same(o[0], outs[0][0]) and same(o[1], outs[0][1]) for o in outs[1:])


def test_running_stats_are_written_at_replay():
    eager = nn.BatchNorm1d(3)
    model = nn.BatchNorm1d(3)
    compiled = ember.compile(model)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = ember.tensor(rng.standard_normal((5, 3)), dtype=ember.float32)
        assert same(eager(x)._data, compiled(x)._data)
    assert replays(compiled)
    for a, b in zip(eager.state_dict().values(), model.state_dict().values()):
        assert same(a._data, b._data)


def test_two_threads_replay_one_function():
    w = ember.tensor(np.linspace(-1, 1, 64).reshape(8, 8), requires_grad=True)
    compiled = ember.compile(lambda x: (x @ w).tanh() @ w)
    xs = [ember.tensor(np.full((4, 8), i / 10)) for i in range(8)]
    expected = [((x @ w).tanh() @ w)._data for x in xs]
    compiled(xs[0])
    got = replayed_in_two_threads(compiled, xs, 50)
    assert all(same(v, expected[i]) for (_, i), v in got.items())


def test_learning_rate_changes_between_replays():
    eager, model = _mlp(), _mlp()
    compiled = ember.compile(model)
    results = []
    for m, fn in ((eager, eager), (model, compiled)):
        opt = ember.optim.SGD(m.parameters(), lr=0.5)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        x = ember.ones(2, 6)
        for _ in range(4):
            opt.zero_grad()
            fn(x).sum().backward()
            opt.step()
            sched.step()
        results.append([p._data for p in m.parameters()])
    assert all(same(a, b) for a, b in zip(*results))


def test_decorator_and_disable():
    @ember.compile(mode="reduce-overhead")
    def f(x):
        return x + 1

    assert same(f(ember.zeros(2))._data, np.ones(2, np.float32))
    g = lambda x: x  # noqa: E731
    assert ember.compile(g, disable=True) is g
    with pytest.raises(RuntimeError, match="mode or options"):
        ember.compile(g, mode="default", options={})


def test_index_tensors_are_read_at_each_replay():
    w = ember.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    emb = ember.compile(lambda i: nn.functional.embedding(i, w) * 2)
    pick = ember.compile(lambda i: w[i].sum(0))
    for rows in ([0, 1, 2], [5, 4, 3], [2, 2, 0]):
        i = ember.tensor(rows)
        assert same(emb(i)._data, w._data[rows] * 2)
        assert same(pick(i)._data, w._data[rows].sum(0))
    assert replays(emb) and replays(pick)


def test_boolean_masks_fall_back():
    compiled = ember.compile(lambda x: x[x > 0].sum())
    with pytest.warns(UserWarning, match="boolean mask"):
        compiled(ember.tensor([1.0, -1.0]))
    assert same(compiled(ember.tensor([2.0, -1.0, 3.0]))._data, np.float32(5.0))
