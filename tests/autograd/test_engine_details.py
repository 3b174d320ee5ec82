"""Details of the engine and of Function that mutation testing found unchecked (docs/testing.md):
heap order with several roots, targets that end a branch, who owns a leaf's gradient, the
array slot of a custom rule, what release frees, saved values in any order, version messages,
anomaly traces of custom Functions, observers and tangents."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, forward_ad, function


def f64(values, requires_grad=True):
    return ember.tensor(values, dtype=ember.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------- the engine
def test_roots_interleave_with_the_nodes_found_on_the_way():
    """A root and a node reached from another root with consecutive creation numbers."""
    x = f64([1.0, 2.0])
    a = x * 2  # reached only through c
    b = x * 3  # a root
    c = a * 4  # a root
    gb, gc = f64([1.0, 1.0], False), f64([1.0, -1.0], False)
    (gx,) = ember.autograd.grad([b, c], x, [gb, gc])
    np.testing.assert_allclose(gx.numpy(), 3 * gb.numpy() + 8 * gc.numpy())


def test_a_target_that_ends_its_branch_does_not_end_the_walk():
    x, other = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = x * 2
    u = other * 3  # created after y: taken from the heap first, and nothing past it is needed
    gu, gx = ember.autograd.grad((y * u).sum(), [u, x])
    np.testing.assert_allclose(gu.numpy(), 2 * x.detach().numpy())
    np.testing.assert_allclose(gx.numpy(), 2 * u.detach().numpy())


def test_roots_are_taken_latest_first():
    """y feeds z: with both as roots, z's share must reach y before y's rule runs (once: y's
    saved output is freed after it)."""
    x = f64([0.5, 1.0])
    y = x.exp()
    z = y * 3
    (gx,) = ember.autograd.grad([y, z], x, [f64([1.0, 1.0], False), f64([1.0, 2.0], False)])
    np.testing.assert_allclose(gx.numpy(), np.exp([0.5, 1.0]) * [4.0, 7.0])


def test_run_backward_with_inputs_refuses_an_unused_one_by_default():
    x, unused = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="was not used"):
        ember.autograd.run_backward([x * 2], [f64([1.0], False)], False, False, [x, unused])


def test_grad_accumulates_into_an_existing_grad_under_create_graph():
    x = f64([1.0, 2.0])
    (x**2).sum().backward(create_graph=True)
    (x**2).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy(), [4.0, 8.0])
    assert x.grad.requires_grad


def test_a_hook_on_an_intermediate_stays_in_the_graph_under_create_graph():
    x = f64([1.0, 2.0])
    y = x**3
    y.register_hook(lambda g: g * 2)
    (gx,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), 6 * x.detach().numpy() ** 2)
    (ggx,) = ember.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), 12 * x.detach().numpy())


def test_a_leaf_gradient_never_shares_memory_with_the_callers_gradient():
    x = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = f64(np.arange(6.0), False)
    x.reshape(6).backward(g)  # the rule hands back a view of g
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(2, 3))


def test_a_gradient_reduced_to_a_0d_leaf_is_the_sum_over_all_axes_in_an_array_of_its_own():
    w = ember.tensor(0.5, requires_grad=True)
    x = ember.tensor(np.random.default_rng(0).standard_normal((7, 300)).astype(np.float32))
    (w * x).backward(ember.ones_like(x))
    assert w.grad.shape == () and w.grad.dtype == ember.float32
    assert w.grad.numpy().tobytes() == x.numpy().sum().tobytes()
    assert w.grad.numpy().base is None and w.grad.numpy().flags.writeable


def test_a_rule_may_return_a_python_number_or_a_numpy_scalar():
    x = f64(2.0)
    (x * 3.0).backward()  # the rule's g * 3.0 of 0-d arrays is a NumPy scalar
    assert type(x.grad.numpy()) is np.ndarray and x.grad.item() == 3.0


class ReadOnlyGradient(Function):
    """Its rule returns a read-only array that is no view."""

    @staticmethod
    def forward(ctx, a):
        return a * 1

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out

    @staticmethod
    def backward_arrays(ctx, grad_out):
        g = grad_out.copy()
        g.setflags(write=False)
        return g


def test_a_read_only_gradient_is_copied_before_it_becomes_grad():
    x = f64([1.0, 2.0])
    ReadOnlyGradient.apply(x).sum().backward()
    assert x.grad.numpy().flags.writeable
    x.grad.mul_(2)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# -------------------------------------------------------------------------- custom Functions
class Square(Function):
    """y = a^2 with both rule slots; saves the output before the input."""

    seen: list = []

    @staticmethod
    def forward(ctx, a):
        y = a * a
        ctx.save_for_backward(y, a)
        ctx.scale = np.full(1000, 2.0)  # an attribute that release must free
        return y

    @staticmethod
    def backward(ctx, grad_out):
        y, a = ctx.saved_tensors
        Square.seen.append(("backward", type(y), type(a), type(grad_out)))
        return grad_out * a * 2

    @staticmethod
    def backward_arrays(ctx, grad_out):
        y, a = ctx.saved_arrays
        Square.seen.append(("backward_arrays", type(y), type(a), type(grad_out)))
        return grad_out * a * ctx.scale[0]


def test_the_array_slot_gets_arrays_and_the_tensor_slot_tensors():
    Square.seen.clear()
    a = f64([1.5, -2.0])
    y = Square.apply(a)
    y.register_hook(lambda g: g * 1)  # a hook hands the rule its own kind of gradient back
    y.sum().backward()
    (ga,) = ember.autograd.grad(Square.apply(a).sum(), a, create_graph=True)
    assert Square.seen == [
        ("backward_arrays", np.ndarray, np.ndarray, np.ndarray),
        ("backward", ember.Tensor, ember.Tensor, ember.Tensor),
    ]
    np.testing.assert_allclose(a.grad.numpy(), [3.0, -4.0])
    np.testing.assert_allclose(ga.detach().numpy(), [3.0, -4.0])


def test_release_frees_the_rules_attributes_and_keeps_hooks():
    a = f64([1.0, 2.0])
    y = Square.apply(a)
    calls = []
    y.register_hook(lambda g: calls.append(1))
    node = y.grad_fn
    y.sum().backward()
    assert not hasattr(node, "scale")
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()  # the hook still runs first, as in PyTorch
    assert len(calls) == 2


def test_modified_output_reports_both_versions():
    a = f64([1.0, 2.0])
    y = Square.apply(a)
    with ember.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"its output .*version 0 when saved, 1 now"):
        y.sum().backward()


class Probe(Function):
    """Records the grad mode its forward runs in and the gradient its (tensor-only) rule gets."""

    seen: list = []

    @staticmethod
    def forward(ctx, a):
        Probe.seen.append(("forward", ember.is_grad_enabled()))
        return a * 2

    @staticmethod
    def backward(ctx, grad_out):
        Probe.seen.append(("backward", ember.is_grad_enabled(), grad_out.requires_grad))
        return grad_out * 2


def test_forward_runs_without_grad_and_a_plain_backward_gets_a_plain_gradient():
    Probe.seen.clear()
    x = f64([1.0])
    Probe.apply(x).sum().backward()
    assert Probe.seen == [("forward", False), ("backward", False, False)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


class Bad(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 1

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * float("nan")


def test_anomaly_names_the_line_that_applied_a_custom_function():
    x = f64([1.0])
    with np.errstate(all="ignore"), ember.autograd.detect_anomaly():
        y = Bad.apply(x)  # the line the error must show
        with pytest.raises(RuntimeError, match="BadBackward") as info:
            y.sum().backward()
    assert "y = Bad.apply(x)" in str(info.value)


def test_observers_are_told_of_every_recorded_op():
    seen = []

    def observer(cls, args, result):
        seen.append((cls.__name__, len(args), result.shape))

    function.observers.append(observer)
    try:
        x = f64([1.0, 2.0])
        (x * 2).sum()
        with ember.no_grad():
            x * 3  # not recorded
    finally:
        function.observers.remove(observer)
    assert [name for name, _, _ in seen] == ["Mul", "Sum"]
    assert seen[0][2] == (2,)


# -------------------------------------------------------------------------------- forward mode
def test_tangents_flow_through_chained_ops_and_need_no_grad():
    x, y = f64([0.5, 1.0], False), f64([2.0, 3.0], False)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, f64([1.0, 0.0], False))
        out = (dual * y).exp().sum(0)  # y carries no tangent: a zero one stands in
        _, tangent = forward_ad.unpack_dual(out)
        assert forward_ad.unpack_dual(tangent)[1] is None  # a tangent has no tangent
    expected = np.exp(x.numpy() * y.numpy()) * y.numpy() * [1.0, 0.0]
    np.testing.assert_allclose(tangent.numpy(), expected.sum())
    assert not tangent.requires_grad


def test_grad_of_several_scalar_outputs_without_grad_outputs_adds_them():
    x = f64([1.0, 2.0])
    (gx,) = ember.autograd.grad([(x * 2).sum(), (x**2).sum()], x)
    np.testing.assert_allclose(gx.numpy(), 2 + 2 * x.detach().numpy())


def test_post_accumulate_hooks_see_the_accumulated_grad():
    x = f64([1.0, 2.0])
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_retained_grad_is_differentiable_only_under_create_graph(create_graph):
    x = f64([1.0, 2.0])
    y = x**2
    y.retain_grad()
    (y * x).sum().backward(create_graph=create_graph)
    np.testing.assert_allclose(y.grad.detach().numpy(), [1.0, 2.0])
    assert y.grad.requires_grad == create_graph


def test_grad_runs_only_the_branches_that_lead_to_its_inputs():
    """A branch whose graph was already freed is never entered when it leads to no input."""
    x, w = f64([1.0, 2.0]), f64([0.5, 0.5])
    u = w.exp()
    u.sum().backward()  # frees u's saved output
    (gx,) = ember.autograd.grad((x * 2 + u).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])


def test_a_repeated_root_does_not_stop_the_roots_after_it():
    x = f64([1.0, 2.0])
    y, z = x * 2, x * 5
    ones = f64([1.0, 1.0], False)
    (gx,) = ember.autograd.grad([y, y, z], x, [ones, ones, ones])
    np.testing.assert_allclose(gx.numpy(), [9.0, 9.0])


def test_a_root_and_a_later_node_found_on_the_way_keep_their_order():
    x = f64([1.0, 2.0])
    a = x * 2  # a root
    b = x * 3  # created right after a, reached only through c
    c = b * 4  # a root
    ones = f64([1.0, 1.0], False)
    (gx,) = ember.autograd.grad([a, c], x, [ones, ones])
    np.testing.assert_allclose(gx.numpy(), [14.0, 14.0])


def test_an_input_without_grad_does_not_stop_the_gradient_of_the_next():
    c, x = f64([3.0, 4.0], False), f64([1.0, 2.0])
    (gx,) = ember.autograd.grad((c * x).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])


def test_the_implicit_gradient_of_a_scalar_output_is_a_constant():
    x = f64([1.0, 2.0])
    (gx,) = ember.autograd.grad((x * 2).sum(), x, create_graph=True)
    assert not gx.requires_grad  # 2 everywhere: it does not depend on x
