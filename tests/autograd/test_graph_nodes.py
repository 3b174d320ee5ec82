"""``grad_fn.next_functions`` and ``grad_fn.name()`` as PyTorch exposes them."""

import pytest

import ember
from ember.autograd.function import AccumulateGrad


def _walk(node):
    """Every node reachable from ``node`` (iteratively), in visiting order."""
    seen, stack, order = set(), [node], []
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        order.append(n)
        stack.extend(child for child, _ in n.next_functions)
    return order


def test_next_functions_lead_to_accumulate_grad_of_every_parameter():
    net = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    loss = net(ember.randn(5, 3)).pow(2).mean()
    leaves = [n for n in _walk(loss.grad_fn) if isinstance(n, AccumulateGrad)]
    assert {id(n.variable) for n in leaves} == {id(p) for p in net.parameters()}
    assert all(n.next_functions == () for n in leaves)
    again = [n for n in _walk(loss.grad_fn) if isinstance(n, AccumulateGrad)]
    assert {id(n) for n in again} == {id(n) for n in leaves}  # one node per leaf, as in torch


def test_inputs_without_grad_show_none_and_names_follow_torch():
    torch = pytest.importorskip("torch")
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        c = lib.ones(2)
        y = x * c
        (first, i), (second, j) = y.grad_fn.next_functions
        assert first.variable is x and second is None and i == j == 0
    ours = (ember.ones(2, requires_grad=True).exp() + 1).sum()
    theirs = (torch.ones(2, requires_grad=True).exp() + 1).sum()
    names = []
    for out in (ours, theirs):
        node, chain = out.grad_fn, []
        while node is not None and node.next_functions:
            chain.append(node.name())
            node = node.next_functions[0][0]
        names.append(chain)
    assert names[0] == names[1] == ["SumBackward0", "AddBackward0", "ExpBackward0"]
