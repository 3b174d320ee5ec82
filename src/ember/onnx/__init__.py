"""Export models built from ember's layers and ops to ONNX: ``ember.onnx.export`` with
``torch.onnx.export``'s arguments. Needs the optional ``onnx`` package (``ember[onnx]``)."""

from .errors import OnnxExporterError, UnsupportedOperatorError
from .export import export

__all__ = ["OnnxExporterError", "UnsupportedOperatorError", "export"]
