"""A battery of compositions run through ember and PyTorch with the SAME code (the APIs match):
values, first derivatives and Hessian-vector products agree in float64."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


COMPOSITIONS = {
    "lecture": lambda lib, x, y: (((x**2).sin() + 3 * x**2).cos() * y).sum(),
    "mlp": lambda lib, x, y: F(lib).cross_entropy(
        lib.tanh(x @ y.T) @ y[:, :3], lib.tensor([0, 2, 1, 1], dtype=lib.int64)
    ),
    "softmax-attention": lambda lib, x, y: (lib.softmax(x @ y.T / 2, dim=-1) @ y).pow(2).mean(),
    "norms-and-reductions": lambda lib, x, y: (
        x.norm(dim=1) * y.std(dim=1) + x.logsumexp(1) - y.amax(1)
    ).prod(),
    "indexing": lambda lib, x, y: (
        x[:, [0, 2, 2]] * y[1:3].mean(0, keepdim=True)[:, :3] + x[x > 0].sum()
    ).sum(),
    "shapes": lambda lib, x, y: (
        lib.cat([x.T, y.flip(0).T], dim=1).reshape(2, -1).unsqueeze(0).expand(3, 2, 20).var()
    ),
    "activations": lambda lib, x, y: (
        F(lib).gelu(x) + F(lib).softplus(y) - F(lib).elu(x * y) + lib.sigmoid(x).log()
    ).sum(),
    "clamp-where-max": lambda lib, x, y: (
        lib.where(x > y, x.clamp(-0.5, 0.5), lib.maximum(x, y * 0.3)).abs().sum()
    ),
    "bce-mse": lambda lib, x, y: (
        F(lib).binary_cross_entropy_with_logits(x, y.sigmoid())
        + F(lib).mse_loss(x, y)
        + F(lib).smooth_l1_loss(x, y)
    ),
    "einsum-linear": lambda lib, x, y: lib.einsum(
        "ij,jk->ik", F(lib).linear(x, y, y[:, 0]), x
    ).sum(),
}


def _inputs(lib, seed):
    rng = np.random.default_rng(seed)
    return [
        lib.tensor(rng.standard_normal((4, 5)), dtype=lib.float64, requires_grad=True)
        for _ in range(2)
    ]


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_values_and_gradients_match_pytorch(name):
    f = COMPOSITIONS[name]
    xe, ye = _inputs(ember, 1)
    xt, yt = _inputs(torch, 1)
    out_e, out_t = f(ember, xe, ye), f(torch, xt, yt)
    np.testing.assert_allclose(out_e.item(), out_t.item(), rtol=1e-10)
    out_e.backward()
    out_t.backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ye.grad.numpy(), yt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["lecture", "mlp", "softmax-attention", "activations", "bce-mse"])
def test_second_derivatives_match_pytorch(name):
    f = COMPOSITIONS[name]
    v = np.random.default_rng(7).standard_normal((4, 5))
    xe, ye = _inputs(ember, 2)
    xt, yt = _inputs(torch, 2)
    (ge,) = ember.autograd.grad(f(ember, xe, ye), xe, create_graph=True)
    (gt,) = torch.autograd.grad(f(torch, xt, yt), xt, create_graph=True)
    (he,) = ember.autograd.grad((ge * ember.tensor(v, dtype=ember.float64)).sum(), xe)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(he.numpy(), ht.numpy(), rtol=1e-8, atol=1e-10)
