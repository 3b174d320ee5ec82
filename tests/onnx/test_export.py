"""ONNX export: every exported model passes onnx.checker (export runs it) and onnxruntime gives
ember's outputs to 1e-5 in float32, also at batch sizes other than the traced one."""

import io

import numpy as np
import pytest

import ember
from ember import models, nn

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

BATCH = {0: "batch"}


def session(model, args, **options):
    buffer = io.BytesIO()
    ember.onnx.export(model, args, buffer, **options)
    return ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])


def outputs(model, *args):
    with ember.no_grad():
        out = model(*args)
    flat = []

    def walk(v):
        if isinstance(v, ember.Tensor):
            flat.append(v.numpy())
        elif isinstance(v, (tuple, list)):
            for item in v:
                walk(item)

    walk(out)
    return flat


def check(model, examples, names, dynamic=None, **options):
    """Export with the first example; compare every example's outputs with onnxruntime's."""
    model.eval()
    n_out = len(outputs(model, *examples[0]))
    out_names = [f"out{i}" for i in range(n_out)]
    sess = session(
        model,
        examples[0],
        input_names=names,
        output_names=out_names,
        dynamic_axes=dynamic,
        **options,
    )
    for args in examples:
        got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})
        want = outputs(model, *args)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def images(n):
    return (ember.rand(n, 1, 28, 28),)


@pytest.mark.parametrize("make", [lambda: models.mlp(784, [64, 32], 10), models.cnn])
def test_mlp_and_cnn_with_a_dynamic_batch(make):
    dynamic = {"images": BATCH, "out0": BATCH}
    check(make(), [images(4), images(1), images(9)], ["images"], dynamic)


@pytest.mark.parametrize(
    "cls, options",
    [
        (nn.LSTM, {"num_layers": 2, "batch_first": True}),
        (nn.LSTM, {"bidirectional": True}),
        (nn.LSTM, {"num_layers": 2, "bidirectional": True, "bias": False}),
        (nn.GRU, {"num_layers": 2, "batch_first": True, "bidirectional": True}),
        (nn.RNN, {"nonlinearity": "relu"}),
        (nn.RNN, {"num_layers": 2}),
    ],
)
def test_recurrent_layers_with_dynamic_batch_and_length(cls, options):
    layer = cls(6, 8, **options)
    first = options.get("batch_first", False)
    axes = {0: "batch", 1: "seq"} if first else {0: "seq", 1: "batch"}
    states = {1: "batch"}
    dynamic = {"x": axes, "out0": axes, "out1": states}
    if cls is nn.LSTM:
        dynamic["out2"] = states

    def sequence(batch, steps):
        return (ember.randn(batch, steps, 6) if first else ember.randn(steps, batch, 6),)

    check(layer, [sequence(3, 5), sequence(1, 2), sequence(4, 7)], ["x"], dynamic)


def test_lstm_with_initial_states():
    lstm = nn.LSTM(4, 5, num_layers=2, bidirectional=True)
    args = (ember.randn(6, 3, 4), (ember.randn(4, 3, 5), ember.randn(4, 3, 5)))
    model = _Wrap(lstm)
    check(model, [(args[0], *args[1])], ["x", "h0", "c0"])


class _Wrap(nn.Module):
    """An LSTM called with its states given as separate inputs."""

    def __init__(self, lstm):
        super().__init__()
        self.lstm = lstm

    def forward(self, x, h0, c0):
        return self.lstm(x, (h0, c0))


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.head = nn.Linear(16, 20)

    def forward(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out)


def test_embedding_and_lstm_language_model():
    tokens = [(ember.randint(0, 20, (b, t)),) for b, t in ((2, 5), (3, 4), (1, 9))]
    dynamic = {"tokens": {0: "batch", 1: "seq"}, "out0": {0: "batch", 1: "seq"}}
    check(LanguageModel(), tokens, ["tokens"], dynamic)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_with_a_dynamic_batch(norm_first, activation):
    layer = nn.TransformerEncoderLayer(
        16, 4, 32, dropout=0.1, activation=activation, batch_first=True, norm_first=norm_first
    )
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16))
    examples = [(ember.randn(b, 5, 16),) for b in (3, 1, 6)]
    check(encoder, examples, ["src"], {"src": BATCH, "out0": BATCH})


def test_export_to_a_path_and_opset_choice(tmp_path):
    import onnx

    path = tmp_path / "mlp.onnx"
    proto = ember.onnx.export(models.mlp(784, [8], 10), images(2), path, opset_version=18)
    loaded = onnx.load(str(path))
    assert loaded.opset_import[0].version == 18 == proto.opset_import[0].version
    assert [i.name for i in loaded.graph.input] == ["input_0"]
    assert {i.name for i in loaded.graph.initializer} >= {"1.weight", "1.bias", "3.weight"}


class Transposed(nn.Module):
    def forward(self, x):
        return ember.einsum("ij->ji", x * 2)


def test_an_op_without_mapping_is_named():
    with pytest.raises(
        ember.onnx.UnsupportedOperatorError, match="the op Einsum has no ONNX mapping"
    ):
        ember.onnx.export(Transposed(), (ember.randn(2, 3),), io.BytesIO())


def test_bad_arguments():
    with pytest.warns(UserWarning, match="key x for dynamic axes is not a valid input/output"):
        ember.onnx.export(
            models.mlp(784, [8], 10), images(2), io.BytesIO(), dynamic_axes={"x": [0]}
        )
    with pytest.raises(ember.onnx.OnnxExporterError, match="opset_version 11"):
        ember.onnx.export(models.mlp(784, [8], 10), images(2), io.BytesIO(), opset_version=11)


def test_ember_export_writes_a_checkpoint_as_onnx(tmp_path, capsys):
    from ember.cli.main import main
    from ember.cli.train import load_trained

    run = tmp_path / "run"
    args = ["--data", "synthetic", "--hidden", "16", "--epochs", "1", "--no-progress"]
    assert main(["train", *args, "--out", str(run)]) == 0
    checkpoint = run / "checkpoint.safetensors"
    assert main(["export", str(checkpoint), "--out", str(tmp_path / "m.onnx")]) == 0
    model, _ = load_trained(checkpoint)
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = ember.rand(5, 1, 28, 28)
    (logits,) = sess.run(["logits"], {"images": x.numpy()})
    np.testing.assert_allclose(logits, outputs(model.eval(), x)[0], rtol=1e-5, atol=1e-5)
    assert main(["export", str(tmp_path / "missing.safetensors")]) == 2
    assert "ember export: error" in capsys.readouterr().err
