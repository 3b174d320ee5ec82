"""greedy_layerwise: fixed layers stay fixed, weights land in the right Linear layers, the
classifier is untouched, flags are restored, and pre-training then fine-tuning learns."""

import numpy as np
import pytest

import ember
from ember import models, nn, optim
from ember.data import DataLoader, TensorDataset
from ember.pretrain import AutoencoderLayer, BernoulliRBM, GaussianBernoulliRBM, greedy_layerwise
from ember.train import evaluate, fit


def _data(n=240, seed=0):
    """Ten classes on a 8x8 grid, each lighting its own 4x4 patch: images in [0, 1] and labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    images = rng.uniform(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    for c in range(4):
        r, col = divmod(c, 2)
        images[labels == c, 0, 4 * r : 4 * r + 4, 4 * col : 4 * col + 4] += 0.7
    return images, labels


def _model(activation="sigmoid", hidden=(16, 8)):
    return models.mlp(64, list(hidden), 4, activation)


def _copies(module):
    return {name: p._data.copy() for name, p in module.named_parameters()}


def _assert_same(module, copies):
    for name, p in module.named_parameters():
        np.testing.assert_array_equal(p._data, copies[name], err_msg=name)


def _loader(images, labels, batch_size=40):
    return DataLoader(TensorDataset(ember.tensor(images), ember.tensor(labels)), batch_size)


@pytest.mark.parametrize(
    ("method", "loader"),
    [("autoencoder", False), ("denoising", True), ("rbm", False), ("rbm", True)],
)
def test_lower_layers_are_fixed_and_record_nothing(method, loader):
    model = _model(hidden=(12, 10, 8))
    images, labels = _data()
    data = _loader(images, labels) if loader else images
    linears = [model[i] for i in (1, 3, 5)]
    training = []  # the hidden layer being trained, counted from 0
    calls = []  # (layer called, layer being trained, graph recorded)

    def factory(params, lr):
        k = len(training)
        training.append(k)
        snapshots = [_copies(lower) for lower in linears[:k]]
        opt = optim.SGD(params, lr=lr)
        step = opt.step

        def checked_step():
            step()
            for lower, copies in zip(linears[:k], snapshots):
                _assert_same(lower, copies)
                assert all(not p.requires_grad and p.grad is None for p in lower.parameters())

        opt.step = checked_step
        return opt

    def record(j):
        def hook(module, inputs, output):
            recorded = output.grad_fn is not None or output.requires_grad
            calls.append((j, training[-1] if training else None, recorded))

        return hook

    for j, linear in enumerate(linears):
        linear.register_forward_hook(record(j))
    classifier = _copies(model[7])
    size = None if loader else 40
    greedy_layerwise(
        model, data, method, epochs=2, batch_size=size, optimizer=factory, progress=False
    )
    assert training == [0, 1, 2]
    # a graph is recorded only through the layer being trained (RBMs never call the Linear);
    # fixed layers compute codes under no_grad: on the fly for a loader, once for an array
    assert all(j == k for j, k, recorded in calls if recorded)
    fixed = [j for j, k, _ in calls if k is not None and k > j]
    assert bool(fixed) == loader
    _assert_same(model[7], classifier)


def test_autoencoder_weights_land_in_the_right_layers():
    model = _model()
    images, _ = _data()
    before = [_copies(model[i]) for i in (1, 3)]
    reports = greedy_layerwise(model, images, "autoencoder", epochs=3, progress=False)
    assert [(r.index, r.layer, r.in_features, r.out_features) for r in reports] == [
        (1, 1, 64, 16),
        (3, 2, 16, 8),
    ]
    for r, old in zip(reports, before):
        ae = r.module
        assert isinstance(ae, AutoencoderLayer) and ae.encoder is model[r.index]
        assert np.shares_memory(ae.decoder_weight._data, model[r.index].weight._data)
        assert not np.array_equal(model[r.index].weight._data, old["weight"])
    # layer 2 was trained on layer 1's codes: its reported error is reproduced on them
    with ember.no_grad():
        codes = model[2](model[1](ember.tensor(images).flatten(1)))
        error = ((reports[1].module(codes) - codes) ** 2).mean().item()
    assert error == pytest.approx(reports[1].reconstruction_error, rel=1e-4)


def test_rbm_weights_and_hidden_biases_seed_the_linear_layers():
    model = _model()
    images, _ = _data()
    reports = greedy_layerwise(model, images, "rbm", epochs=2, cd_k=[1, 2], progress=False)
    for r in reports:
        assert isinstance(r.module, BernoulliRBM) and r.loss_name == "reconstruction mse"
        np.testing.assert_array_equal(model[r.index].weight._data, r.module.weight._data)
        np.testing.assert_array_equal(model[r.index].bias._data, r.module.h_bias._data)
        assert r.module.weight.shape == model[r.index].weight.shape


def test_flags_and_modes_are_restored_for_fine_tuning():
    model = _model()
    model[5].requires_grad_(False)  # a frozen classifier stays frozen
    model.train()
    greedy_layerwise(model, _data()[0], "denoising", epochs=1, progress=False)
    assert all(p.requires_grad for p in [*model[1].parameters(), *model[3].parameters()])
    assert not any(p.requires_grad for p in model[5].parameters())
    assert all(m.training for m in model.modules())
    model.eval()
    greedy_layerwise(model, _data()[0], epochs=1, progress=False)
    assert not any(m.training for m in model.modules())


def test_pretraining_then_fine_tuning_beats_chance():
    images, labels = _data(400)
    test_images, test_labels = _data(200, seed=1)
    ember.manual_seed(0)
    model = _model()
    gen = ember.Generator().manual_seed(0)
    reports = greedy_layerwise(
        model, images, "denoising", epochs=5, lr=0.1, progress=False, generator=gen
    )
    for r in reports:
        assert r.losses[-1] < r.losses[0] and len(r.losses) == 5 and r.seconds > 0
    train = DataLoader(
        TensorDataset(ember.tensor(images), ember.tensor(labels)),
        batch_size=20,
        shuffle=True,
        generator=gen,
    )
    test = _loader(test_images, test_labels, 100)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), train, 3,
        progress=False)  # fmt: skip
    assert evaluate(model, test)["accuracy"] > 0.6  # chance is 0.25


def test_dataloader_and_array_inputs_both_work():
    images, labels = _data()
    loader = _loader(images, labels)
    from_loader = greedy_layerwise(_model(), loader, epochs=2, progress=False)
    from_array = greedy_layerwise(_model(), images.reshape(len(images), -1), epochs=2,
                                  progress=False)  # fmt: skip
    from_list = greedy_layerwise(list(_model()), ember.tensor(images), epochs=[2, 1],
                                 progress=False)  # fmt: skip
    for reports in (from_loader, from_array):
        assert [len(r.losses) for r in reports] == [2, 2]
        assert all(np.isfinite(r.reconstruction_error) for r in reports)
    assert [len(r.losses) for r in from_list] == [2, 1]
    with pytest.raises(ValueError, match="a DataLoader has its own"):
        greedy_layerwise(_model(), loader, batch_size=10, progress=False)


def test_a_list_of_linear_layers_gets_sigmoid_activations():
    layers = [nn.Linear(64, 16), nn.Linear(16, 4)]
    (report,) = greedy_layerwise(layers, _data()[0], epochs=1, progress=False)
    assert isinstance(report.module.activation, nn.Sigmoid)


def test_defaults_follow_the_input_range():
    images, _ = _data()
    standardised = (images - images.mean()) / images.std()
    reports = greedy_layerwise(_model(), standardised, epochs=1, progress=False)
    assert [r.loss_name for r in reports] == ["mse", "cross-entropy"]  # sigmoid codes in [0, 1]
    tanh = greedy_layerwise(_model("tanh"), images, epochs=1, progress=False)
    assert [r.loss_name for r in tanh] == ["cross-entropy", "mse"]
    rbms = greedy_layerwise(_model(), standardised, "rbm", epochs=1, progress=False)
    assert type(rbms[0].module) is GaussianBernoulliRBM and type(rbms[1].module) is BernoulliRBM


def test_optimizer_by_name_or_factory_and_per_layer_settings():
    images, _ = _data()
    made = []

    def factory(params, lr):
        made.append(lr)
        return optim.SGD(params, lr=lr, momentum=0.9)

    greedy_layerwise(_model(), images, epochs=1, lr=[0.2, 0.05], optimizer=factory,
                     progress=False)  # fmt: skip
    assert made == [0.2, 0.05]
    reports = greedy_layerwise(_model(), images, "denoising", epochs=1, optimizer="adam",
                               corruption=[0.1, 0.5], tied=False, progress=False)  # fmt: skip
    assert not reports[0].module.tied and reports[0].to_dict()["method"] == "denoising"
    assert "module" not in reports[0].to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "pca"}, "unknown method"),
        ({"method": "rbm", "corruption": 0.2}, "not to RBMs"),
        ({"epochs": [1, 2, 3]}, "3 entries for 2 hidden layers"),
        ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ],
)
def test_bad_settings_are_reported(kwargs, message):
    with pytest.raises(ValueError, match=message):
        greedy_layerwise(_model(), _data()[0], progress=False, **kwargs)


def test_bad_models_and_inputs_are_reported():
    images, _ = _data()
    with pytest.raises(ValueError, match="Sigmoid activations"):
        greedy_layerwise(_model("relu"), images, "rbm", progress=False)
    with pytest.raises(ValueError, match="at least two Linear"):
        greedy_layerwise(nn.Sequential(nn.Flatten(), nn.Linear(64, 4)), images)
    with pytest.raises(TypeError, match=r"nn\.Sequential or a list"):
        greedy_layerwise(nn.Linear(64, 4), images)
    with pytest.raises(ValueError, match="do not fit the first Linear"):
        greedy_layerwise(_model(), images[:, :, :4], progress=False)
