"""The errors of ONNX export."""


class OnnxExporterError(RuntimeError):
    """The model cannot be written as ONNX."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op or module of the model has no ONNX mapping."""
