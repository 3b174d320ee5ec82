"""Sequential, ModuleList and ModuleDict: indexing, slicing, mutation, registration, repr."""

from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn


def test_sequential_applies_modules_in_order():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = ember.randn(5, 3)
    expected = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).detach().numpy(), expected.detach().numpy())
    assert len(seq) == 3 and [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert seq[-1] is seq[2]
    with pytest.raises(IndexError):
        seq[3]


def test_sequential_slicing_keeps_names_and_append_insert_delete_renumber():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert seq.fc is seq[0]
    part = seq[1:]
    assert isinstance(part, nn.Sequential) and list(part._modules) == ["act"]
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    assert seq.append(nn.Linear(2, 1)) is seq
    assert list(seq._modules) == ["0", "1", "2"]
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and isinstance(seq[0], nn.ReLU)
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "ReLU", "Linear"]
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid) and list(seq._modules) == ["0", "1", "2"]
    assert isinstance(seq.pop(0), nn.Identity) and len(seq) == 2
    assert "0" not in dir(seq)


def test_module_list_registers_and_repr_collapses_repeats():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    layers += [nn.ReLU()]
    assert len(list(layers.parameters())) == 6
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3-4): 2 x ReLU()\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"
    with pytest.raises(NotImplementedError):
        layers(ember.zeros(1))


def test_module_dict():
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    d["act"] = nn.ReLU()
    assert list(d) == ["enc", "dec", "act"] and "enc" in d and len(d) == 3
    assert [k for k, _ in d.items()] == list(d.keys())
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert isinstance(d.pop("act"), nn.ReLU) and len(d) == 2
    d.update([("extra", nn.Tanh())])
    assert d["extra"] is d.extra
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


def test_nested_containers_in_a_custom_module():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.ReLU())])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.heads["a"](x)

    tower = Tower()
    assert [n for n, _ in tower.named_parameters()] == [
        "blocks.0.0.weight",
        "blocks.0.0.bias",
        "heads.a.weight",
        "heads.a.bias",
    ]
    assert tower(ember.randn(3, 2)).shape == (3, 1)
