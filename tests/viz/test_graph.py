"""ember.viz: the node table of the lecture's example, and DOT export."""

import math

import pytest

import ember
from ember import viz
from ember.experiments import backprop


def test_table_lists_nodes_in_topological_order_with_values_and_adjoints():
    graph, _, _ = backprop.trace(0.8)
    rows = {r["node"]: r for r in graph.rows()}
    assert [r["node"] for r in graph.rows()] == ["x", "t", "u1", "u2", "u", "J"]
    t = 0.8**2
    u = math.sin(t) + 3 * t
    assert rows["t"]["value"] == pytest.approx(t, abs=1e-15)
    assert rows["u"]["value"] == pytest.approx(u, abs=1e-15)
    assert rows["J"]["adjoint"] == 1.0
    assert rows["u"]["adjoint"] == pytest.approx(-math.sin(u), abs=1e-12)
    assert rows["u1"]["adjoint"] == rows["u2"]["adjoint"] == rows["u"]["adjoint"]
    assert rows["t"]["adjoint"] == pytest.approx(-math.sin(u) * (math.cos(t) + 3), abs=1e-12)
    assert rows["x"]["adjoint"] == pytest.approx(backprop.closed_form(0.8)[1], abs=1e-12)
    assert rows["u2"]["inputs"] == "3, t" and rows["t"]["op"] == "pow"


def test_dot_export_has_every_node_and_edge():
    graph, _, _ = backprop.trace(1.0)
    dot = graph.to_dot()
    assert dot.startswith("digraph")
    for a, b in [("x", "t"), ("t", "u1"), ("t", "u2"), ("u1", "u"), ("u2", "u"), ("u", "J")]:
        assert f'"{a}" -> "{b}"' in dot


def test_unnamed_nodes_get_numbers_and_recording_stops_after_block():
    x = ember.tensor([1.0], requires_grad=True)
    with viz.record() as graph:
        y = (x * 2).exp()
    z = y * 3
    assert len(graph.steps) == 2
    assert graph.rows()[0]["node"] == "n1"
    assert z.requires_grad


def test_demo_command_checks_the_closed_form(tmp_path, capsys):
    from ember.cli.main import main

    assert main(["demo", "backprop", "--x", "-0.4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "adjoint dJ/dnode" in out and "closed form" in out
    assert (tmp_path / "graph.dot").exists() and (tmp_path / "result.json").exists()
