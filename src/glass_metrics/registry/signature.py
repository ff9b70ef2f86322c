"""What an ONNX file says about itself: its digest, inputs, outputs and metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glass_metrics.errors import ModelError
from glass_metrics.fsutil import file_sha256

sha256_of = file_sha256


def read_signature(path: Path) -> dict[str, Any]:
    """The model's inputs and outputs (name, element type, shape) and its metadata.

    Symbolic dimensions (the batch) appear as their name, unknown ones as ``None``. Raises
    :class:`ModelError` naming the file when it is not a readable ONNX model.
    """
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError or OSError depending on the damage
        raise ModelError(f"{path} is not a readable ONNX model: {exc}") from exc
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    return {
        "format": "onnx",
        "opset": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "inputs": [_tensor(v) for v in graph.input if v.name not in initializers],
        "outputs": [_tensor(v) for v in graph.output],
        "metadata": {p.key: p.value for p in model.metadata_props},
    }


def _tensor(value) -> dict[str, Any]:
    import onnx

    tensor = value.type.tensor_type
    dims = [
        d.dim_param or (d.dim_value if d.HasField("dim_value") else None) for d in tensor.shape.dim
    ]
    return {
        "name": value.name,
        "dtype": onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name,
        "shape": dims,
    }
