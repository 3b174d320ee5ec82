"""Seeing the computation graph: a node table with values and adjoints, and Graphviz DOT."""

from .graph import GraphRecord, record

__all__ = ["GraphRecord", "record"]
