"""The shared part of the distributions given by ``probs`` or ``logits``."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits


class ProbsLogits(Distribution):
    """A distribution given by ``probs`` or ``logits`` (``_param`` is the one given); the other
    is computed on first use. ``_binary``: sigmoid/logit pairs, else softmax/log."""

    _binary = True
    _param: Tensor

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(self._param.shape)

    def _expand_params(self, cls: type, batch_shape: Any, _instance: Any, names: tuple) -> Any:
        new = self._expanded(cls, batch_shape, _instance, names)
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
        return new
