"""Learning-rate schedulers against values worked out from their documented formulas."""

import math

import pytest

import ember
from ember.optim import SGD, Adam
from ember.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)


def sgd(lr=1.0, **kwargs):
    return SGD([ember.tensor([1.0], requires_grad=True)], lr=lr, **kwargs)


def trace(scheduler, steps):
    """The rate before any step, then after each of ``steps`` steps."""
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


def test_step_lr():
    assert trace(StepLR(sgd(), step_size=2, gamma=0.5), 5) == [1, 1, 0.5, 0.5, 0.25, 0.25]


def test_multistep_lr_counts_repeated_milestones():
    values = trace(MultiStepLR(sgd(), milestones=[1, 3, 3], gamma=0.5), 4)
    assert values == [1, 0.5, 0.5, 0.125, 0.125]


def test_exponential_lr():
    assert trace(ExponentialLR(sgd(2.0), gamma=0.5), 3) == [2.0, 1.0, 0.5, 0.25]


def test_cosine_annealing_follows_the_closed_form_past_t_max():
    t_max, low = 5, 0.1
    values = trace(CosineAnnealingLR(sgd(), T_max=t_max, eta_min=low), 3 * t_max)
    expected = [low + (1 - low) * (1 + math.cos(math.pi * t / t_max)) / 2 for t in range(16)]
    assert values == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert values[t_max] == pytest.approx(low) and values[2 * t_max] == pytest.approx(1.0)


def test_linear_lr():
    values = trace(LinearLR(sgd(), start_factor=0.5, end_factor=1.0, total_iters=4), 6)
    assert values == pytest.approx([0.5, 0.625, 0.75, 0.875, 1.0, 1.0, 1.0], rel=1e-15)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        LinearLR(sgd(), start_factor=0.0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        LinearLR(sgd(), end_factor=1.5)


def test_lambda_lr_per_group():
    opt = SGD(
        [{"params": [ember.tensor([1.0], requires_grad=True)], "lr": 2.0}] * 1
        + [{"params": [ember.tensor([1.0], requires_grad=True)], "lr": 3.0}]
    )
    scheduler = LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5**e])
    opt.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [1.0, 1.5]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        LambdaLR(opt, [lambda e: 1.0])


def test_initial_lr_and_base_lrs():
    opt = sgd(0.3)
    scheduler = StepLR(opt, step_size=1)
    assert opt.param_groups[0]["initial_lr"] == 0.3 and scheduler.base_lrs == [0.3]
    assert scheduler.last_epoch == 0
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(sgd(), step_size=1, last_epoch=3)


def test_deprecated_epoch_argument_uses_the_closed_form():
    scheduler = StepLR(sgd(), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.get_last_lr() == [0.25] and scheduler.last_epoch == 5


def test_state_dict_round_trip():
    scheduler = CosineAnnealingLR(sgd(), T_max=10)
    trace(scheduler, 3)
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    other = CosineAnnealingLR(sgd(), T_max=10)
    other.load_state_dict(state)
    assert other.last_epoch == 3 and other.get_last_lr() == scheduler.get_last_lr()


# ---------------------------------------------------------------------------- OneCycleLR
def test_one_cycle_cos_two_phases_with_momentum():
    opt = sgd(momentum=0.9)
    scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.5)
    initial, low = 1.0 / 25, 1.0 / 25 / 1e4
    values, momenta = [scheduler.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(10):
        scheduler.step()
        values.append(scheduler.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
    # phase 1 ends at step 0.5 * 11 - 1 = 4.5; phase 2 at step 10
    for t in range(11):
        if t <= 4.5:
            pct, start, end, m0, m1 = t / 4.5, initial, 1.0, 0.95, 0.85
        else:
            pct, start, end, m0, m1 = (t - 4.5) / 5.5, 1.0, low, 0.85, 0.95
        cos = math.cos(math.pi * pct) + 1
        assert values[t] == pytest.approx(end + (start - end) / 2 * cos, rel=1e-12)
        assert momenta[t] == pytest.approx(m1 + (m0 - m1) / 2 * cos, rel=1e-12)
    assert values[-1] == pytest.approx(low) and momenta[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 12 times"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_linear_three_phase_cycles_adam_beta1():
    opt = Adam([ember.tensor([1.0], requires_grad=True)], betas=(0.5, 0.99))
    scheduler = OneCycleLR(
        opt,
        max_lr=0.1,
        epochs=2,
        steps_per_epoch=5,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
        final_div_factor=100.0,
    )
    lrs, betas = [scheduler.get_last_lr()[0]], [opt.param_groups[0]["betas"]]
    for _ in range(9):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        betas.append(opt.param_groups[0]["betas"])
    # phases end at steps 1.5, 3.0 and 9: up to 0.1, back to 0.01, down to 1e-4
    expected = [0.01, 0.01 + 0.09 / 1.5, 0.1 - 0.09 * 0.5 / 1.5, 0.01]
    expected += [0.01 + (1e-4 - 0.01) * (t - 3) / 6 for t in range(4, 10)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert betas[0] == (0.95, 0.99) and betas[3] == pytest.approx((0.95, 0.99))
    assert betas[1][0] == pytest.approx(0.95 - 0.1 / 1.5) and betas[1][1] == 0.99
    assert betas[9][0] == pytest.approx(0.95)


def test_one_cycle_validation():
    with pytest.raises(ValueError, match="total_steps OR"):
        OneCycleLR(sgd(momentum=0.9), max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        OneCycleLR(sgd(momentum=0.9), max_lr=1.0, total_steps=10, pct_start=1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        OneCycleLR(sgd(momentum=0.9), max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        OneCycleLR(sgd(momentum=0.9), max_lr=[1.0, 2.0], total_steps=10)


# ---------------------------------------------------------------------------- ReduceLROnPlateau
def plateau(metrics, **kwargs):
    opt = sgd()
    scheduler = ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        scheduler.step(m)
        out.append(scheduler.get_last_lr()[0])
    return out


def test_plateau_patience_and_factor():
    # best 1.0 at epoch 1; epochs 2-4 are bad: the third bad epoch exceeds patience 2
    values = plateau([1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5], patience=2, factor=0.5)
    assert values == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_plateau_threshold_modes_and_max_mode():
    # rel: 0.99995 is not below 1 * (1 - 1e-4), so it counts as bad
    assert plateau([1.0, 0.99995, 0.99995], patience=1)[-1] == pytest.approx(0.1)
    assert plateau([1.0, 0.95, 0.9], patience=1, threshold=0.1, threshold_mode="abs")[-1] == 0.1
    assert plateau([1.0, 2.0, 3.0], patience=0, mode="max") == [1, 1, 1]
    assert plateau([1.0, 0.5], patience=0, mode="max") == [1, 0.1]


def test_plateau_cooldown_and_min_lr():
    values = plateau([1.0] * 6, patience=0, cooldown=2, factor=0.5, min_lr=0.3)
    # reduce at epoch 2, then two cooldown epochs ignore bad results, then floor at min_lr
    assert values == [1, 0.5, 0.5, 0.5, 0.3, 0.3]
    with pytest.raises(ValueError, match="Factor should be <"):
        plateau([], factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        plateau([], mode="avg")


def test_plateau_accepts_a_tensor_metric_and_round_trips():
    opt = sgd()
    scheduler = ReduceLROnPlateau(opt, patience=0)
    scheduler.step(ember.tensor(2.0))
    other = ReduceLROnPlateau(sgd(), mode="max")
    other.load_state_dict(scheduler.state_dict())
    assert other.best == 2.0 and other.mode == "min"
    other.step(3.0)
    assert other.get_last_lr() == [pytest.approx(0.1)]


# ---------------------------------------------------------------------------- SequentialLR
def test_sequential_warmup_then_decay():
    opt = sgd()
    warmup = LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = ExponentialLR(opt, gamma=0.5)
    scheduler = SequentialLR(opt, [warmup, decay], milestones=[3])
    values = trace(scheduler, 6)
    assert values == pytest.approx([0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 0.125])
    with pytest.raises(ValueError, match="number of milestones"):
        SequentialLR(opt, [warmup, decay], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        SequentialLR(opt, [warmup, StepLR(sgd(), 1)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        SequentialLR(opt, [warmup, ReduceLROnPlateau(opt)], milestones=[2])


def test_cyclic_triangle_and_momentum_by_hand():
    opt = sgd(momentum=0.9)
    sched = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=2)
    assert trace(sched, 8) == pytest.approx([0.1, 0.3, 0.5, 0.3, 0.1, 0.3, 0.5, 0.3, 0.1])
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9)
    sched.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="mode is invalid"):
        CyclicLR(sgd(momentum=0.9), 0.1, 0.5, mode="zigzag")
    with pytest.raises(ValueError, match="must support momentum"):
        CyclicLR(ember.optim.Adagrad([ember.zeros(1, requires_grad=True)]), 0.1, 0.5)


class Halving:
    """A callable object: its attributes travel in the scheduler's state_dict."""

    def __init__(self):
        self.base = 2.0

    def __call__(self, x):
        return self.base ** -(x - 1)


def test_cyclic_state_dict_keeps_callable_objects_only():
    fn = Halving()
    sched = CyclicLR(sgd(), 0.1, 0.5, step_size_up=2, scale_fn=fn, cycle_momentum=False)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"base": 2.0} and "_scale_fn_ref" not in state
    fn.base = 3.0
    sched.load_state_dict(state)
    assert fn.base == 2.0
    plain = CyclicLR(sgd(), 0.1, 0.5, scale_fn=lambda x: 1.0, cycle_momentum=False)
    assert plain.state_dict()["_scale_fn_custom"] is None


def test_warm_restarts_by_hand():
    sched = CosineAnnealingWarmRestarts(sgd(1.0), T_0=2, T_mult=2)
    expected = [1.0, 0.5, 1.0, 1 + (math.cos(math.pi / 4) - 1) / 2, 0.5]
    assert trace(sched, 4) == pytest.approx(expected)
    sched.step(2.5)  # the second period (length 4) is a quarter through
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi / 8)) / 2)
    assert (sched.T_i, sched.last_epoch) == (4, 2)
    with pytest.raises(ValueError, match="positive integer T_0"):
        CosineAnnealingWarmRestarts(sgd(), T_0=0)
    with pytest.raises(ValueError, match="T_mult >= 1"):
        CosineAnnealingWarmRestarts(sgd(), T_0=2, T_mult=0)


def test_factor_schedules_by_hand():
    assert trace(ConstantLR(sgd(1.0), factor=0.5, total_iters=2), 3) == [0.5, 0.5, 1.0, 1.0]
    poly = trace(PolynomialLR(sgd(1.0), total_iters=4, power=2.0), 5)
    assert poly == pytest.approx([1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0])
    mult = trace(MultiplicativeLR(sgd(1.0), lambda e: 0.5), 2)
    assert mult == [1.0, 0.5, 0.25]
    with pytest.raises(ValueError, match="between 0 and 1"):
        ConstantLR(sgd(), factor=2.0)
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        MultiplicativeLR(sgd(), 0.5)


def test_chained_scheduler_composes_and_checks():
    opt = sgd(1.0)
    chain = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2), ExponentialLR(opt, 0.5)])
    assert trace(chain, 3) == pytest.approx([0.1, 0.05, 0.25, 0.125])
    saved = chain.state_dict()
    assert [s["last_epoch"] for s in saved["_schedulers"]] == [3, 3]
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        ChainedScheduler([ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="same optimizer"):
        ChainedScheduler([StepLR(opt, 2), StepLR(sgd(), 2)])
    with pytest.raises(ValueError, match="at least one scheduler"):
        ChainedScheduler([])
