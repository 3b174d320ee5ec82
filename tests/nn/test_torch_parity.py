"""The same models in ember and PyTorch (weights copied, float64): identical outputs, gradients,
running statistics, state_dict keys and reprs. Skipped without torch."""

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def copy_weights(source, target):
    """Load torch's state_dict into the ember model: load_state_dict takes any array-like."""
    target.load_state_dict(source.state_dict())


def both(build):
    torch.manual_seed(0)
    t_model = build(tnn).double()
    e_model = build(nn).double()
    copy_weights(t_model, e_model)
    return t_model, e_model


def mlp(lib):
    return lib.Sequential(
        lib.Linear(6, 5), lib.Tanh(), lib.Linear(5, 4), lib.GELU(), lib.Linear(4, 3)
    )


def cnn(lib):
    return lib.Sequential(
        lib.Conv2d(2, 4, 3, padding=1),
        lib.BatchNorm2d(4),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(4, 3, 2, stride=1, padding="same", groups=1, bias=False),
        lib.LeakyReLU(0.1),
        lib.AvgPool2d(2),
        lib.Flatten(),
        lib.Linear(12, 5),
        lib.LogSoftmax(dim=1),
    )


def run(t_model, e_model, x, labels):
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    out_t, out_e = t_model(xt), e_model(xe)
    np.testing.assert_allclose(
        out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    loss_t = torch.nn.functional.cross_entropy(out_t, torch.tensor(labels))
    loss_e = nn.functional.cross_entropy(out_e, ember.tensor(labels))
    loss_t.backward()
    loss_e.backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    t_grads = {n: p.grad.numpy() for n, p in t_model.named_parameters()}
    e_grads = {n: p.grad.numpy() for n, p in e_model.named_parameters()}
    assert list(e_grads) == list(t_grads)
    for name in t_grads:
        np.testing.assert_allclose(e_grads[name], t_grads[name], rtol=1e-9, atol=1e-12)


def test_mlp_outputs_and_gradients_match_torch():
    t_model, e_model = both(mlp)
    rng = np.random.default_rng(0)
    run(t_model, e_model, rng.normal(size=(8, 6)), rng.integers(0, 3, size=8))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_cnn_outputs_gradients_and_running_stats_match_torch():
    t_model, e_model = both(cnn)
    rng = np.random.default_rng(1)
    for _ in range(2):
        run(t_model, e_model, rng.normal(size=(3, 2, 8, 8)), rng.integers(0, 5, size=3))
    for key, value in t_model.state_dict().items():
        np.testing.assert_allclose(e_model.state_dict()[key].numpy(), value.numpy(), rtol=1e-10)
    t_model.eval()
    e_model.eval()
    x = rng.normal(size=(2, 2, 8, 8))
    np.testing.assert_allclose(
        e_model(ember.tensor(x, dtype=ember.float64)).detach().numpy(),
        t_model(torch.tensor(x)).detach().numpy(),
        rtol=1e-10,
    )


def test_more_layers_match_torch():
    rng = np.random.default_rng(2)
    cases = [
        (
            lambda lib: lib.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
            (2, 3, 4, 4),
        ),
        (lambda lib: lib.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), (2, 4, 9, 9)),
        (lambda lib: lib.LayerNorm((3, 4)), (2, 3, 4)),
        (lambda lib: lib.BatchNorm1d(3, momentum=None), (5, 3, 2)),
        (lambda lib: lib.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
        (lambda lib: lib.Softplus(beta=2.0, threshold=1.0), (3, 4)),
        (lambda lib: lib.ELU(0.5), (3, 4)),
    ]
    for build, shape in cases:
        t_model, e_model = both(build)
        x = rng.normal(size=shape)
        xt = torch.tensor(x, requires_grad=True)
        xe = ember.tensor(x, dtype=ember.float64, requires_grad=True)
        out_t, out_e = t_model(xt), e_model(xe)
        np.testing.assert_allclose(
            out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12
        )
        (out_t**2).sum().backward()
        (out_e**2).sum().backward()
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_embedding_and_bilinear_match_torch():
    t_emb, e_emb = both(lambda lib: lib.Embedding(7, 3, padding_idx=2))
    idx = np.array([[1, 2, 6], [2, 0, 1]])
    out_t, out_e = t_emb(torch.tensor(idx)), e_emb(ember.tensor(idx))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy())
    (out_t**3).sum().backward()
    (out_e**3).sum().backward()
    np.testing.assert_allclose(e_emb.weight.grad.numpy(), t_emb.weight.grad.numpy(), rtol=1e-12)
    t_bil, e_bil = both(lambda lib: lib.Bilinear(3, 2, 4))
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    np.testing.assert_allclose(
        e_bil(ember.tensor(a, dtype=ember.float64), ember.tensor(b, dtype=ember.float64))
        .detach()
        .numpy(),
        t_bil(torch.tensor(a), torch.tensor(b)).detach().numpy(),
        rtol=1e-10,
    )


def test_state_dict_keys_shapes_and_dtypes_match_torch():
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 4, 3),
            lib.BatchNorm2d(4),
            lib.Flatten(),
            lib.Linear(4, 2),
            lib.ModuleList([lib.Linear(2, 2), lib.LayerNorm(2)]),
            lib.ModuleDict({"emb": lib.Embedding(3, 2)}),
        )

    t_sd = build(tnn).state_dict()
    e_sd = build(nn).state_dict()
    assert list(e_sd) == list(t_sd)
    for key in t_sd:
        assert tuple(e_sd[key].shape) == tuple(t_sd[key].shape)
        assert str(e_sd[key].dtype) == str(t_sd[key].dtype).replace("torch.", "ember.")


def test_reprs_match_torch():
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 8, 3, padding="same", bias=False),
            lib.Conv2d(8, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=2, groups=4),
            lib.ConvTranspose2d(8, 4, 2, stride=2, output_padding=1),
            lib.BatchNorm2d(4, momentum=None, affine=False),
            lib.BatchNorm1d(4, eps=1e-3, track_running_stats=False),
            lib.MaxPool2d(2, stride=1, padding=1),
            lib.AvgPool2d(3),
            lib.AdaptiveAvgPool2d((1, 1)),
            lib.Flatten(),
            lib.Unflatten(1, (2, 2)),
            lib.Dropout(0.25),
            lib.Linear(4, 3, bias=False),
            lib.Bilinear(2, 3, 4),
            lib.LayerNorm((4, 3), elementwise_affine=False),
            lib.Embedding(10, 3, padding_idx=0, max_norm=1.0),
            lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Tanh()]),
            lib.ModuleDict({"a": lib.Sigmoid(), "b": lib.Identity()}),
            lib.LeakyReLU(0.2, inplace=True),
            lib.ELU(),
            lib.GELU(approximate="tanh"),
            lib.Softplus(),
            lib.Softmax(dim=-1),
            lib.LogSoftmax(1),
            lib.CrossEntropyLoss(label_smoothing=0.1),
            lib.MSELoss(),
        )

    assert repr(build(nn)) == repr(build(tnn))


def test_every_public_name_exists_in_torch():
    for name in nn.__all__:
        assert hasattr(tnn, name), name
    for name in nn.functional.__all__:
        assert hasattr(torch.nn.functional, name), name
    for name in nn.init.__all__:
        assert hasattr(torch.nn.init, name), name
    for name in nn.utils.__all__:
        assert hasattr(torch.nn.utils, name), name
