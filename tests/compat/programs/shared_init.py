"""Start a run from the weights in the .npz file that $INIT_WEIGHTS names, if it is set.

The first run that finds the file missing writes its own initial weights there; later runs
(with another framework, say) load them, so their training can be compared step by step.
"""

import os

import numpy as np
import torch


def shared_init(tensors):
    """Save or load ``tensors`` (a dict of name -> tensor, e.g. a ``state_dict()``)."""
    path = os.environ.get("INIT_WEIGHTS")
    if not path:
        return
    if os.path.exists(path):
        saved = np.load(path)
        with torch.no_grad():
            for name, tensor in tensors.items():
                tensor.copy_(torch.tensor(saved[name]))
    else:
        np.savez(path, **{name: t.detach().cpu().numpy() for name, t in tensors.items()})
