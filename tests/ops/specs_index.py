"""Op specs: index family (see harness.py)."""

from .harness import OpSpec

SPECS: list[OpSpec] = []
