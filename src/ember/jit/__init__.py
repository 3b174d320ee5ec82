"""Record once, replay without the framework: the machinery behind ``ember.compile``.

``signature`` keys a call; ``tracer`` records one eager call; ``plan`` turns the recording into
a flat program on arrays; ``replay`` runs it and gives the outputs one graph node;
``compiled`` is the callable with its cache and its fall-back to eager execution.
"""

from .compiled import CACHE_SIZE_LIMIT, CompiledCallable
from .tracer import Unsupported

__all__ = ["CACHE_SIZE_LIMIT", "CompiledCallable", "Unsupported"]
