"""The lecture's claims as reproducible experiments; each is run by ``ember demo NAME``.

Every experiment module has ``add_arguments(parser)`` and ``run(args) -> dict`` and writes its
figures and numbers under ``runs/NAME/``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXPERIMENTS = {
    "backprop": "ember.experiments.backprop",
    "pretraining": "ember.experiments.pretraining",
    "features": "ember.experiments.features",
    "universal-approximation": "ember.experiments.universal_approximation",
    "depth-efficiency": "ember.experiments.depth_efficiency",
    "vanishing-gradients": "ember.experiments.vanishing_gradients",
    "loss-landscape": "ember.experiments.loss_landscape",
}


def load(name: str) -> ModuleType:
    """The experiment module called ``name`` (see ``EXPERIMENTS``)."""
    return importlib.import_module(EXPERIMENTS[name])
