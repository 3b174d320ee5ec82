"""Parity with PyTorch 2.13 for the Modules the model tests do not reach: the nine loss Modules with
every reduction and weight option, Sigmoid, Softmax, Dropout, Unflatten, Bilinear's gradients,
Embedding(max_norm=), nn.init's statistics and the LambdaLR/SequentialLR state_dict round trips.
All in float64; skipped without torch."""

import math

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(13)
REDUCTIONS = ["none", "mean", "sum"]


def pair(a, integer=False, requires_grad=False):
    """The same array as a torch and an ember tensor."""
    if integer:
        return torch.tensor(a), ember.tensor(a)
    return (
        torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad),
        ember.tensor(a, dtype=ember.float64, requires_grad=requires_grad),
    )


def check_loss(build, x, target, integer_target=False):
    """Value and input gradient of ``build(lib)`` for torch and ember (torch's kwargs spelling)."""
    xt, xe = pair(x, requires_grad=True)
    tt, te = pair(target, integer=integer_target)
    out_t, out_e = build(tnn)(xt, tt), build(nn)(xe, te)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    g = RNG.normal(size=out_t.shape)
    out_t.backward(torch.tensor(g))
    out_e.backward(ember.tensor(g, dtype=ember.float64))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def options(lib, **kw):
    """kwargs with array values made into the library's tensors."""
    make = (lambda a: torch.tensor(a)) if lib is tnn else (lambda a: ember.tensor(a))
    return {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


# ----------------------------------------------------------------------------------------- losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("MSELoss", {}),
        ("L1Loss", {}),
        ("HuberLoss", {"delta": 0.6}),
        ("SmoothL1Loss", {"beta": 0.4}),
        ("SmoothL1Loss", {"beta": 0.0}),
    ],
)
def test_regression_loss_modules(name, kw, reduction):
    x, target = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    check_loss(lambda lib: getattr(lib, name)(reduction=reduction, **kw), x, target)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss_module(reduction, log_target):
    x = np.log(RNG.dirichlet(np.ones(5), size=3))
    p = RNG.dirichlet(np.ones(5), size=3)
    target = np.log(p) if log_target else p
    check_loss(lambda lib: lib.KLDivLoss(reduction=reduction, log_target=log_target), x, target)


WEIGHT = np.array([0.5, 2.0, 1.0, 0.25])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
def test_nll_loss_module(reduction, weight, shape):
    x = np.log(RNG.dirichlet(np.ones(4), size=int(np.prod(shape)) // 4))
    x = x.reshape(shape[0], *shape[2:], 4).transpose(0, -1, *range(1, len(shape) - 1))
    target = RNG.integers(0, 4, size=(shape[0], *shape[2:]))
    target.reshape(-1)[0] = 3  # the ignored class appears
    check_loss(
        lambda lib: lib.NLLLoss(**options(lib, weight=weight), ignore_index=3, reduction=reduction),
        np.ascontiguousarray(x),
        target,
        integer_target=True,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize(("smoothing", "ignore"), [(0.0, -100), (0.2, 1)])
def test_cross_entropy_loss_module_with_class_targets(reduction, weight, smoothing, ignore):
    x, target = RNG.normal(size=(6, 4)), RNG.integers(0, 4, size=6)
    target[0] = 1
    check_loss(
        lambda lib: lib.CrossEntropyLoss(
            **options(lib, weight=weight),
            ignore_index=ignore,
            reduction=reduction,
            label_smoothing=smoothing,
        ),
        x,
        target,
        integer_target=True,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_cross_entropy_loss_module_with_probability_targets(reduction, weight):
    x, target = RNG.normal(size=(3, 4, 2)), RNG.dirichlet(np.ones(4), size=(3, 2))
    target = np.ascontiguousarray(target.transpose(0, 2, 1))
    check_loss(
        lambda lib: lib.CrossEntropyLoss(
            **options(lib, weight=weight), reduction=reduction, label_smoothing=0.1
        ),
        x,
        target,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, np.array([0.5, 1.0, 2.0])])
def test_bce_loss_module(reduction, weight):
    x, target = RNG.uniform(0.05, 0.95, size=(4, 3)), RNG.uniform(0, 1, size=(4, 3))
    check_loss(
        lambda lib: lib.BCELoss(**options(lib, weight=weight), reduction=reduction), x, target
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, np.array([0.5, 1.0, 2.0])])
@pytest.mark.parametrize("pos_weight", [None, np.array([3.0, 0.5, 1.0])])
def test_bce_with_logits_loss_module(reduction, weight, pos_weight):
    x, target = RNG.normal(size=(4, 3)) * 3, RNG.uniform(0, 1, size=(4, 3))
    check_loss(
        lambda lib: lib.BCEWithLogitsLoss(
            **options(lib, weight=weight, pos_weight=pos_weight), reduction=reduction
        ),
        x,
        target,
    )


@pytest.mark.filterwarnings("ignore:size_average and reduce args")
def test_legacy_flags_of_a_loss_module():
    x, target = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    for flags in [{"size_average": False}, {"reduce": False}, {"size_average": True}]:
        check_loss(lambda lib, f=flags: lib.MSELoss(**f), x, target)


# ------------------------------------------------------------------------- activations and shape
@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (lambda lib: lib.Sigmoid(), (3, 4)),
        (lambda lib: lib.Softmax(dim=1), (2, 3, 4)),
        (lambda lib: lib.Softmax(dim=-1), (5,)),
        (lambda lib: lib.Unflatten(1, (2, 3)), (4, 6)),
        (lambda lib: lib.Unflatten(-1, (2, -1)), (3, 2, 4)),
    ],
)
def test_pointwise_and_shape_modules(build, shape):
    x = RNG.normal(size=shape) * 3
    xt, xe = pair(x, requires_grad=True)
    out_t, out_e = build(tnn)(xt), build(nn)(xe)
    assert tuple(out_e.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    g = RNG.normal(size=out_t.shape)
    out_t.backward(torch.tensor(g))
    out_e.backward(ember.tensor(g, dtype=ember.float64))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_in_eval_mode_is_the_identity(p):
    x = RNG.normal(size=(4, 5))
    xt, xe = pair(x, requires_grad=True)
    out_t, out_e = tnn.Dropout(p).eval()(xt), nn.Dropout(p).eval()(xe)
    np.testing.assert_array_equal(out_e.detach().numpy(), out_t.detach().numpy())
    out_e.sum().backward()
    np.testing.assert_array_equal(xe.grad.numpy(), np.ones_like(x))


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_dropout_in_train_mode_keeps_torch_scaling_and_rate(p):
    """Survivors are scaled by 1/(1-p) in both, the gradient is the mask times that scale, and
    the dropped fraction is p within 5 binomial standard deviations."""
    x = RNG.uniform(0.5, 1.5, size=(200, 100))
    xt, xe = pair(x, requires_grad=True)
    torch.manual_seed(0)
    out_t, out_e = tnn.Dropout(p)(xt), nn.Dropout(p)(xe)
    scale_t = out_t.detach().numpy() / x
    scale_e = out_e.detach().numpy() / x
    for scale in (scale_t, scale_e):
        kept = scale != 0
        np.testing.assert_allclose(scale[kept], scale_t[scale_t != 0][0], rtol=1e-15)
        assert abs((~kept).mean() - p) < 5 * math.sqrt(p * (1 - p) / x.size)
    np.testing.assert_allclose(scale_e[scale_e != 0], 1 / (1 - p), rtol=1e-15)
    g = RNG.normal(size=x.shape)
    out_e.backward(ember.tensor(g, dtype=ember.float64))
    np.testing.assert_allclose(xe.grad.numpy(), g * scale_e, rtol=1e-15)


def test_dropout_with_p_one_zeroes_everything_as_torch_does():
    x = RNG.normal(size=(3, 4))
    out_t = tnn.Dropout(1.0)(torch.tensor(x))
    out_e = nn.Dropout(1.0)(ember.tensor(x, dtype=ember.float64))
    np.testing.assert_array_equal(out_e.numpy(), out_t.numpy())


# --------------------------------------------------------------------------- Bilinear, Embedding
def test_bilinear_gradients_match_torch():
    torch.manual_seed(0)
    t_bil = tnn.Bilinear(3, 2, 4).double()
    e_bil = nn.Bilinear(3, 2, 4).double()
    e_bil.load_state_dict(t_bil.state_dict())
    a, b = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    (at, ae), (bt, be) = pair(a, requires_grad=True), pair(b, requires_grad=True)
    out_t, out_e = t_bil(at, bt), e_bil(ae, be)
    g = RNG.normal(size=(5, 4))
    out_t.backward(torch.tensor(g))
    out_e.backward(ember.tensor(g, dtype=ember.float64))
    np.testing.assert_allclose(ae.grad.numpy(), at.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(be.grad.numpy(), bt.grad.numpy(), rtol=1e-10)
    for name, p in t_bil.named_parameters():
        e_grad = dict(e_bil.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(e_grad, p.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0)])
def test_embedding_max_norm_renormalises_the_looked_up_rows_as_torch_does(max_norm, norm_type):
    weight = RNG.normal(size=(6, 3))
    t_emb = tnn.Embedding.from_pretrained(
        torch.tensor(weight), freeze=False, max_norm=max_norm, norm_type=norm_type
    )
    e_emb = nn.Embedding.from_pretrained(
        ember.tensor(weight, dtype=ember.float64),
        freeze=False,
        max_norm=max_norm,
        norm_type=norm_type,
    )
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    out_t, out_e = t_emb(torch.tensor(idx)), e_emb(ember.tensor(idx))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    # the weight itself is renormalised in place, rows 3 and 4 (not looked up) untouched
    np.testing.assert_allclose(e_emb.weight.detach().numpy(), t_emb.weight.detach().numpy())
    np.testing.assert_array_equal(e_emb.weight.detach().numpy()[3:5], weight[3:5])
    g = RNG.normal(size=out_t.shape)
    out_t.backward(torch.tensor(g))
    out_e.backward(ember.tensor(g, dtype=ember.float64))
    np.testing.assert_allclose(e_emb.weight.grad.numpy(), t_emb.weight.grad.numpy(), rtol=1e-12)


# ------------------------------------------------------------------------------------------ init
INIT_CASES = [
    ("uniform_", {"a": -0.5, "b": 2.0}),
    ("normal_", {"mean": 1.0, "std": 0.3}),
    ("trunc_normal_", {"mean": 0.2, "std": 1.0, "a": -1.0, "b": 1.5}),
    ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "leaky_relu", "a": 0.1}),
    ("kaiming_normal_", {"mode": "fan_out"}),
]


@pytest.mark.parametrize(("name", "kw"), INIT_CASES)
@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 5, 5)])
def test_init_statistics_match_torch(name, kw, shape):
    """Mean, standard deviation and quantiles of 60,000 or more draws agree with torch's within a
    few standard errors (same shape, same arguments, independent generators); bounded ones also
    reach the same bounds."""
    torch.manual_seed(0)
    t = getattr(tnn.init, name)(torch.empty(shape, dtype=torch.float64), **kw).numpy()
    e = getattr(nn.init, name)(ember.empty(*shape, dtype=ember.float64), **kw).numpy()
    n = t.size
    tol = 6 * t.std() / math.sqrt(n)
    assert abs(e.mean() - t.mean()) < 2 * tol
    assert abs(e.std() / t.std() - 1) < 6 / math.sqrt(n)
    q = [0.05, 0.25, 0.5, 0.75, 0.95] + ([0, 1] if "uniform" in name or "trunc" in name else [])
    np.testing.assert_allclose(np.quantile(e, q), np.quantile(t, q), rtol=0, atol=0.06 * t.std())


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_init_matches_torch_in_its_invariants(shape):
    t = tnn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=1.5).numpy()
    e = nn.init.orthogonal_(ember.empty(*shape, dtype=ember.float64), gain=1.5).numpy()
    for w in (t, e):
        flat = w.reshape(shape[0], -1)
        small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small, 1.5**2 * np.eye(len(small)), atol=1e-12)


@pytest.mark.parametrize(
    ("name", "args"), [("constant_", (0.7,)), ("ones_", ()), ("zeros_", ()), ("eye_", ())]
)
def test_deterministic_inits_equal_torch(name, args):
    t = getattr(tnn.init, name)(torch.empty(3, 5, dtype=torch.float64), *args).numpy()
    e = getattr(nn.init, name)(ember.empty(3, 5, dtype=ember.float64), *args).numpy()
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("selu", None)],
)
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == tnn.init.calculate_gain(
        nonlinearity, param
    )


# ---------------------------------------------------------------------------- scheduler state
class Warmup:
    """A callable object: LambdaLR saves its __dict__ (plain functions are not saved)."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


def _lambda_lr(lib, optim_lib, params):
    opt = optim_lib.SGD(params, lr=0.5)
    return opt, optim_lib.lr_scheduler.LambdaLR(opt, [Warmup(4), lambda e: 0.9**e])


def _sequential_lr(lib, optim_lib, params):
    opt = optim_lib.SGD(params, lr=0.5)
    sched = optim_lib.lr_scheduler
    first = sched.LinearLR(opt, start_factor=0.1, total_iters=3)
    second = sched.StepLR(opt, step_size=2, gamma=0.5)
    return opt, sched.SequentialLR(opt, [first, second], milestones=[3])


def _params(lib):
    if lib is torch:
        return [{"params": [torch.zeros(2, requires_grad=True)]}, {"params": []}]
    return [{"params": [ember.zeros(2, requires_grad=True)]}, {"params": []}]


@pytest.mark.parametrize("make", [_lambda_lr, _sequential_lr])
def test_scheduler_state_dict_round_trip_resumes_as_torch(make):
    """Step 5 times, save, rebuild, load (ember's state, and torch's), step 4 more: the lrs equal
    an uninterrupted torch run; the saved keys are torch's but for a flag torch sets only inside
    step()."""

    def lrs(opt):
        return [g["lr"] for g in opt.param_groups]

    t_opt, t_sched = make(torch, torch.optim, _params(torch))
    e_opt, e_sched = make(ember, ember.optim, _params(ember))
    for _ in range(5):
        t_opt.step(), e_opt.step()
        t_sched.step(), e_sched.step()
    t_state, e_state = t_sched.state_dict(), e_sched.state_dict()
    assert set(e_state) == set(t_state) - {"_get_lr_called_within_step"}
    resumed = []
    for state in (e_state, t_state):
        opt, sched = make(ember, ember.optim, _params(ember))
        sched.load_state_dict(state)
        opt.load_state_dict(e_opt.state_dict())
        resumed.append((opt, sched))
    for _ in range(4):
        t_opt.step()
        t_sched.step()
        for opt, sched in resumed:
            opt.step()
            sched.step()
            assert lrs(opt) == pytest.approx(lrs(t_opt), rel=1e-15)
            assert sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-15)
