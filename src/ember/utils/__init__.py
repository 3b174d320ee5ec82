"""Where PyTorch code looks for helpers: ``ember.utils.data`` is ``ember.data``."""

import sys

from .. import data

sys.modules[__name__ + ".data"] = data
sys.modules[__name__ + ".data.distributed"] = data.distributed

__all__ = ["data"]
