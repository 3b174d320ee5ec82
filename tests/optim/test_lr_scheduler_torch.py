"""Schedulers step for step against PyTorch's: the same learning rates and momenta, bit for bit."""

import pytest

import ember
from ember.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 60


def pair(opt_name, groups, **kwargs):
    """The same optimizer in ember and torch: one group per learning rate in ``groups``."""

    def build(lib, optim):
        params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in groups]
        return getattr(optim, opt_name)(params, **kwargs)

    return build(ember, ember.optim), build(torch, torch.optim)


def momentum_of(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


CASES = {
    "step": ("StepLR", {"step_size": 7, "gamma": 0.3}),
    "multistep": ("MultiStepLR", {"milestones": [5, 5, 20, 41], "gamma": 0.5}),
    "exponential": ("ExponentialLR", {"gamma": 0.93}),
    "cosine": ("CosineAnnealingLR", {"T_max": 13, "eta_min": 0.001}),
    "linear": ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 17}),
    "onecycle_cos": ("OneCycleLR", {"max_lr": [0.5, 1.0], "total_steps": STEPS + 1}),
    "onecycle_linear_3": (
        "OneCycleLR",
        {
            "max_lr": 0.2,
            "epochs": 6,
            "steps_per_epoch": 11,
            "anneal_strategy": "linear",
            "three_phase": True,
            "pct_start": 0.2,
        },
    ),
    "cyclic": (
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "step_size_down": 7},
    ),
    "cyclic_2": (
        "CyclicLR",
        {"base_lr": 0.02, "max_lr": 0.1, "step_size_up": 5, "mode": "triangular2"},
    ),
    "cyclic_exp": (
        "CyclicLR",
        {
            "base_lr": [0.01, 0.02],
            "max_lr": [0.1, 0.05],
            "step_size_up": 6,
            "mode": "exp_range",
            "gamma": 0.97,
            "base_momentum": [0.7, 0.6],
            "max_momentum": 0.95,
        },
    ),
    "cyclic_custom": (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "scale_fn": lambda x: 1 / (1 + x),
            "scale_mode": "iterations",
            "cycle_momentum": False,
        },
    ),
    "warm_restarts": ("CosineAnnealingWarmRestarts", {"T_0": 7, "eta_min": 0.001}),
    "warm_restarts_2": ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}),
    "constant": ("ConstantLR", {"factor": 0.25, "total_iters": 9}),
    "polynomial": ("PolynomialLR", {"total_iters": 13, "power": 2.0}),
    "polynomial_1": ("PolynomialLR", {}),
}


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("case", list(CASES))
def test_scheduler_matches_torch(case, opt_name):
    name, kwargs = CASES[case]
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    ours, theirs = pair(opt_name, [0.1, 0.02], **extra)
    s_ours = getattr(lr_scheduler, name)(ours, **kwargs)
    s_theirs = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(STEPS):
        assert s_ours.get_last_lr() == s_theirs.get_last_lr()
        assert momentum_of(ours) == momentum_of(theirs)
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()


def sequential(mod, opt):
    warm = mod.LinearLR(opt, start_factor=0.2, total_iters=5)
    cos = mod.CosineAnnealingLR(opt, T_max=20)
    lam = mod.LambdaLR(opt, lambda e: 0.95**e)
    return mod.SequentialLR(opt, [warm, cos, lam], milestones=[5, 25])


def chained(mod, opt):
    const = mod.ConstantLR(opt, factor=0.5, total_iters=4)
    mult = mod.MultiplicativeLR(opt, [lambda e: 0.97, lambda e: 1.0 - 0.01 * (e % 3)])
    cyclic = mod.CyclicLR(opt, base_lr=0.05, max_lr=0.2, step_size_up=5, cycle_momentum=False)
    return mod.ChainedScheduler([const, mult, cyclic])


@pytest.mark.parametrize("chain", [sequential, chained])
def test_composite_schedulers_match_torch(chain):
    ours, theirs = pair("SGD", [1.0, 0.5])

    s_ours, s_theirs = chain(lr_scheduler, ours), chain(torch.optim.lr_scheduler, theirs)
    assert type(s_ours).__name__ == type(s_theirs).__name__
    for _ in range(STEPS):
        assert s_ours.get_last_lr() == s_theirs.get_last_lr()
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()


def test_plateau_matches_torch():
    ours, theirs = pair("Adam", [0.1, 0.05])
    kwargs = dict(patience=2, factor=0.5, cooldown=1, threshold=0.01, min_lr=[0.01, 0.02])
    s_ours = lr_scheduler.ReduceLROnPlateau(ours, **kwargs)
    s_theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    metrics = [1.0 / (1 + k % 9) + 0.001 * k for k in range(STEPS)]
    for m in metrics:
        s_ours.step(m)
        s_theirs.step(m)
        assert s_ours.get_last_lr() == s_theirs.get_last_lr()
        assert s_ours.num_bad_epochs == s_theirs.num_bad_epochs


def test_adam_betas_cycle_like_torch():
    ours, theirs = pair("Adam", [0.1], betas=(0.8, 0.99))
    s_ours = lr_scheduler.OneCycleLR(ours, max_lr=0.3, total_steps=30)
    s_theirs = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.3, total_steps=30)
    for _ in range(29):
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()
        assert ours.param_groups[0]["betas"] == pytest.approx(theirs.param_groups[0]["betas"])


@pytest.mark.parametrize("t_mult", [1, 3])
def test_warm_restarts_with_fractional_epochs_match_torch(t_mult):
    ours, theirs = pair("SGD", [0.1, 0.3])
    kwargs = dict(T_0=2, T_mult=t_mult, eta_min=0.01)
    s_ours = lr_scheduler.CosineAnnealingWarmRestarts(ours, **kwargs)
    s_theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, **kwargs)
    iters = 7
    for epoch in range(12):
        for i in range(iters):
            s_ours.step(epoch + i / iters)
            s_theirs.step(epoch + i / iters)
            assert s_ours.get_last_lr() == s_theirs.get_last_lr()
            assert (s_ours.T_i, s_ours.T_cur, s_ours.last_epoch) == (
                s_theirs.T_i,
                s_theirs.T_cur,
                s_theirs.last_epoch,
            )
    with pytest.raises(ValueError, match="non-negative epoch"):
        s_ours.step(-1)


@pytest.mark.parametrize("case", ["cyclic_exp", "warm_restarts_2", "constant", "polynomial"])
def test_state_dict_layout_and_resume_match_torch(case):
    """The scheduler's state_dict has torch's keys (less torch's private warning flag); a run
    resumed from it (with the optimizer's) continues like torch's uninterrupted run."""
    name, kwargs = CASES[case]
    ours, theirs = pair("Adam", [0.1, 0.02])
    s_ours = getattr(lr_scheduler, name)(ours, **kwargs)
    s_theirs = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(11):
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()
    state = s_ours.state_dict()
    assert set(state) == set(s_theirs.state_dict()) - {"_get_lr_called_within_step"}
    resumed, _ = pair("Adam", [0.5, 0.5])
    s_resumed = getattr(lr_scheduler, name)(resumed, **kwargs)  # built first, then both loaded
    resumed.load_state_dict(ours.state_dict())
    s_resumed.load_state_dict(state)
    for _ in range(STEPS):
        s_resumed.step()
        s_theirs.step()
        assert s_resumed.get_last_lr() == s_theirs.get_last_lr()
        assert momentum_of(resumed) == momentum_of(theirs)
