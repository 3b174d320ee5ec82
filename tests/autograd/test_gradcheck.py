"""gradcheck itself: it passes correct rules and names the worst entry of a wrong one."""

import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck


class WrongDerivative(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a  # should be 2 a

    @staticmethod
    def jvp(ctx, t):
        (a,) = ctx.saved_tensors
        return 2 * t * a


def test_gradcheck_reports_worst_entry():
    a = ember.tensor([1.0, 3.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input\[1\].*numerical 6.*analytical 3"):
        gradcheck(WrongDerivative.apply, (a,))
    assert not gradcheck(WrongDerivative.apply, (a,), raise_exception=False)


def test_gradcheck_insists_on_float64():
    a = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, (a,))


def test_gradcheck_checks_forward_mode_only_when_asked():
    class NoJvp(ember.autograd.Function):  # PyTorch's default: check_forward_ad=False
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * g * a

    a = ember.tensor([1.0, 3.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(NoJvp.apply, (a,))
    with pytest.raises(NotImplementedError, match="NoJvp has no forward-mode"):
        gradcheck(NoJvp.apply, (a,), check_forward_ad=True)
