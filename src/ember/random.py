"""``ember.random``: the default generator's seed and state, as ``torch.random``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]

manual_seed = backend.manual_seed


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    value = int(np.random.SeedSequence().entropy % (2**63))
    backend.manual_seed(value)
    return value


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return backend.default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (for ``set_rng_state``)."""
    gen = backend.default_generator
    state = gen.get_state()
    words = (gen.initial_seed(), state["state"]["state"], state["state"]["inc"])
    raw = b"".join(int(w).to_bytes(8 if i == 0 else 16, "little") for i, w in enumerate(words))
    raw += bytes([state["has_uint32"]]) + int(state["uinteger"]).to_bytes(4, "little")
    return Tensor._make(np.frombuffer(raw, np.uint8).copy(), None, False)


def set_rng_state(new_state: Tensor) -> None:
    """Restore a state returned by ``get_rng_state``."""
    raw = bytes(np.asarray(new_state._data, np.uint8))
    if len(raw) != 45:
        raise RuntimeError(f"set_rng_state: expected a state of 45 bytes, got {len(raw)}")
    gen = backend.default_generator
    gen.manual_seed(int.from_bytes(raw[:8], "little"))
    gen.set_state(
        {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[8:24], "little"),
                "inc": int.from_bytes(raw[24:40], "little"),
            },
            "has_uint32": raw[40],
            "uinteger": int.from_bytes(raw[41:45], "little"),
        }
    )


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_: Any) -> Iterator[None]:
    """Run the block and restore the default generator's state afterwards."""
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)
