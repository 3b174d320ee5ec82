"""Module: registration by assignment, traversal, modes, conversion, state_dict, hooks, repr."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(ember.ones(1))
        self.register_buffer("step", ember.zeros(1))
        self.register_buffer("cache", ember.zeros(2), persistent=False)
        self.note = "plain attribute"

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.block(x).relu())


def test_assignment_registers_parameters_buffers_and_modules():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._buffers) == ["step", "cache"]
    assert list(b._modules) == ["fc", "bn"]
    assert b.note == "plain attribute" and "note" in b.__dict__
    assert b.fc.weight is b._modules["fc"]._parameters["weight"]
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        _ = b.missing


def test_named_parameters_buffers_children_modules_in_pytorch_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "block.bn.weight",
        "block.bn.bias",
        "head.weight",
    ]
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert next(n for n, _ in net.named_parameters(prefix="model")) == "model.block.scale"
    assert [n for n, _ in net.named_buffers()] == [
        "block.step",
        "block.cache",
        "block.bn.running_mean",
        "block.bn.running_var",
        "block.bn.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.bn", "head"]
    assert len(list(net.parameters())) == 6 and len(list(net.buffers())) == 5
    assert list(net.children()) == [net.block, net.head]


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq.load_state_dict(seq.state_dict())


def test_reassignment_moves_a_name_between_kinds_and_none_placeholders():
    m = nn.Module()
    m.x = nn.Parameter(ember.zeros(1))
    m.x = None
    assert m.x is None and "x" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'x'"):
        m.x = ember.zeros(1)
    m.register_buffer("b", ember.zeros(1))
    m.b = ember.ones(1)
    assert m._buffers["b"].item() == 1.0
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 3
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.sub = nn.Parameter(ember.zeros(1))
    assert "sub" not in m._modules and isinstance(m.sub, nn.Parameter)
    del m.sub
    assert "sub" not in m._parameters
    with pytest.raises(AttributeError):
        _ = m.sub


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ember.zeros(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("training", ember.zeros(1))
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.register_parameter("w", ember.zeros(1))
    with pytest.raises(TypeError, match="buffer 'w'"):
        m.register_buffer("w", np.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("w", 3)
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        m(ember.zeros(1))


def test_train_eval_and_requires_grad_freezing():
    net = Net()
    assert net.training and net.block.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")
    net.block.requires_grad_(False)
    assert not any(p.requires_grad for p in net.block.parameters())
    assert net.head.weight.requires_grad
    out = net(ember.randn(5, 3)).sum()
    out.backward()
    assert net.block.fc.weight.grad is None and net.head.weight.grad is not None


def test_zero_grad_to_none_or_zeros_and_apply():
    net = Net()
    net(ember.randn(5, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Block", "Linear", "Net"]


def test_to_double_float_convert_floating_state_in_place():
    net = Net()
    weight = net.head.weight
    net(ember.randn(5, 3)).sum().backward()
    assert net.double() is net
    assert net.head.weight is weight and weight.dtype == ember.float64
    assert weight.grad.dtype == ember.float64
    assert net.block.bn.running_mean.dtype == ember.float64
    assert net.block.bn.num_batches_tracked.dtype == ember.int64
    assert net(ember.randn(2, 3, dtype=ember.float64)).dtype == ember.float64
    net.to(ember.float32)
    assert all(p.dtype == ember.float32 for p in net.parameters())
    assert net.to("cpu") is net and net.cpu() is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(ember.int64)
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        net.to("cuda")


def test_state_dict_keys_values_and_round_trip():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "block.scale",
        "block.step",
        "block.fc.weight",
        "block.fc.bias",
        "block.bn.weight",
        "block.bn.bias",
        "block.bn.running_mean",
        "block.bn.running_var",
        "block.bn.num_batches_tracked",
        "head.weight",
    ]
    assert not any(v.requires_grad for v in sd.values())
    assert np.shares_memory(sd["head.weight"]._data, net.head.weight._data)
    assert net.state_dict(keep_vars=True)["head.weight"] is net.head.weight
    other = Net()
    result = other.load_state_dict(net.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key].numpy(), value.numpy())
    assert not np.shares_memory(other.head.weight._data, net.head.weight._data)
    x = ember.randn(4, 3)
    np.testing.assert_allclose(other(x).detach().numpy(), net(x).detach().numpy())


def test_load_state_dict_accepts_arrays_and_casts():
    lin = nn.Linear(2, 1)
    lin.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": [0.5]})
    assert lin.weight.dtype == ember.float32
    np.testing.assert_array_equal(lin.weight.detach().numpy(), [[1.0, 2.0]])
    assert lin.weight.requires_grad and lin.weight.is_leaf


def test_load_state_dict_strict_errors_and_non_strict_result():
    net = Net()
    sd = net.state_dict()
    del sd["head.weight"]
    sd["extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    assert str(err.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "head.weight". \n'
        '\tUnexpected key(s) in state_dict: "extra". '
    )
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.weight"] and result.unexpected_keys == ["extra"]
    bad = net.state_dict()
    bad["head.weight"] = ember.zeros(3, 3)
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for head.weight: copying a param with "
        r"shape \(3, 3\) from checkpoint, the shape in current model is \(2, 4\)",
    ):
        net.load_state_dict(bad, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])


def test_load_state_dict_assign_replaces_tensors():
    lin = nn.Linear(2, 1)
    weight = ember.tensor([[3.0, 4.0]])
    lin.load_state_dict({"weight": weight, "bias": ember.zeros(1)}, assign=True)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    assert np.shares_memory(lin.weight._data, weight._data)


def test_non_persistent_and_none_buffers_stay_out_of_state_dict():
    m = nn.Module()
    m.register_buffer("kept", ember.zeros(1))
    m.register_buffer("temp", ember.zeros(1), persistent=False)
    m.register_buffer("empty", None)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "temp"]
    m.register_buffer("temp", ember.zeros(1))
    assert list(m.state_dict()) == ["kept", "temp"]


def test_forward_pre_hook_and_forward_hook_can_replace_values():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(module, args):
        calls.append(("pre", module))
        return args[0] * 0

    def post(module, args, output):
        calls.append(("post", float(args[0].abs().sum())))
        return output + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    out = lin(ember.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1)
    assert calls == [("pre", lin), ("post", 0.0)]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(
        lin(ember.ones(1, 2)).detach().numpy(),
        (lin.weight.sum(1) + lin.bias).detach().numpy()[None],
        rtol=1e-6,
    )


def test_hooks_with_kwargs_and_prepend():
    m = nn.Identity()
    order = []
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: (a, kw), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, o: order.append(sorted(kw)), with_kwargs=True)
    m(ember.zeros(1))
    assert order == ["first", "second", []]


def test_full_backward_hook_sees_and_replaces_input_gradients():
    lin = nn.Linear(3, 2)
    x = ember.randn(4, 3, requires_grad=True)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["in"] = grad_input
        seen["out"] = grad_output
        return (grad_input[0] * 2,)

    handle = lin.register_full_backward_hook(hook)
    lin(x).sum().backward()
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(seen["out"][0].numpy(), np.ones((4, 2)))
    np.testing.assert_allclose(seen["in"][0].numpy(), np.ones((4, 2)) @ w, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((4, 2)) @ w, rtol=1e-6)
    handle.remove()
    x.grad = None
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 2)) @ w, rtol=1e-6)


def test_full_backward_hook_with_inputs_not_requiring_grad():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    lin(ember.randn(4, 3)).sum().backward()
    assert seen == [((None,), (4, 2))]


def test_full_backward_hook_with_two_inputs():
    class Mul(nn.Module):
        def forward(self, a, b):
            return a * b

    m = Mul()
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 5.0], requires_grad=True)
    grads = []
    m.register_full_backward_hook(lambda mod, gi, go: grads.append([g.tolist() for g in gi]))
    m(a, b).sum().backward()
    assert grads == [[[3.0, 5.0], [1.0, 2.0]]]
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 5.0])


def test_repr_layout_and_dir():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (bn): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  )\n"
        "  (head): Linear(in_features=4, out_features=2, bias=False)\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"
    names = dir(net.block)
    for name in ("fc", "bn", "scale", "step", "forward", "note"):
        assert name in names


def test_get_submodule_and_deepcopy():
    net = Net()
    assert net.get_submodule("block.fc") is net.block.fc
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match="no submodule `nope`"):
        net.get_submodule("block.nope")
    twin = copy.deepcopy(net)
    assert isinstance(twin.head.weight, nn.Parameter)
    assert not np.shares_memory(twin.head.weight._data, net.head.weight._data)
    x = ember.randn(2, 3)
    np.testing.assert_allclose(twin(x).detach().numpy(), net(x).detach().numpy())
