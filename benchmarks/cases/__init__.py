"""Benchmark cases; each module has ``run(quick: bool) -> list[Measurement]``."""
