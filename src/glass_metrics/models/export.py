"""Exporting a trained model to ONNX with its metadata, checked, and written atomically."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from glass_metrics.errors import ModelError
from glass_metrics.fsutil import atomic_write_bytes

OPSET = 17


def to_onnx(
    model: torch.nn.Module,
    example: torch.Tensor,
    *,
    input_name: str,
    output_names: tuple[str, str],
    metadata: dict[str, str],
) -> bytes:
    """The serialized ONNX model: dynamic batch, named I/O, ``metadata`` as metadata_props."""
    model.eval()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "model.onnx"
        axes = {name: {0: "batch"} for name in (input_name, *output_names)}
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=[input_name],
            output_names=list(output_names),
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
        proto = onnx.load(str(path))

    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def run_onnx(data: bytes, inputs: np.ndarray, *, batch_size: int = 2048) -> list[np.ndarray]:
    """All outputs of the serialized model on ``inputs``, in batches."""
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    parts = [
        session.run(None, {name: inputs[i : i + batch_size]})
        for i in range(0, len(inputs), batch_size)
    ]
    return [np.concatenate(column) for column in zip(*parts, strict=True)]


def verify(
    data: bytes, inputs: np.ndarray, expected: list[np.ndarray], *, tolerance: float = 1e-5
) -> float:
    """The largest absolute difference between ONNX Runtime and ``expected``.

    Raises ``ModelError`` when it exceeds ``tolerance``.
    """
    produced = run_onnx(data, inputs)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(produced, expected, strict=True))
    if worst > tolerance:
        raise ModelError(f"ONNX Runtime differs from PyTorch by {worst:.2e} (> {tolerance})")
    return worst


def write(path: Path, data: bytes) -> None:
    """Write the serialized model to ``path`` atomically: a reader never sees half a file."""
    atomic_write_bytes(Path(path), data)


def schema(input_name: str, shape: list, sensor_names: list[str]) -> str:
    """The ``input_schema`` metadata value: name, shape, dtype and sensor order, as JSON."""
    return json.dumps(
        {"name": input_name, "shape": shape, "dtype": "float32", "sensor_order": sensor_names}
    )
