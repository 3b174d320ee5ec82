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


def test_lambda_and_sequential_match_torch():
    ours, theirs = pair("SGD", [1.0])
    fn = lambda e: 0.95**e  # noqa: E731

    def chain(mod, opt):
        warm = mod.LinearLR(opt, start_factor=0.2, total_iters=5)
        cos = mod.CosineAnnealingLR(opt, T_max=20)
        lam = mod.LambdaLR(opt, fn)
        return mod.SequentialLR(opt, [warm, cos, lam], milestones=[5, 25])

    s_ours, s_theirs = chain(lr_scheduler, ours), chain(torch.optim.lr_scheduler, theirs)
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
