"""Loading an exported ONNX model for evaluation and running it in batches.

Only ONNX Runtime is needed here; torch is not imported. The model's metadata (written at
export) says what kind of model it is, its version, and the input it expects.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from glass_metrics.errors import ModelError

log = logging.getLogger(__name__)

INPUT_NAMES = {"lstm": "sensor_window", "gnn": "node_features"}
OUTPUT_NAMES = {"lstm": "defect_probability", "gnn": "anomaly_probability"}


@dataclass(frozen=True)
class LoadedModel:
    """An ONNX Runtime session with what evaluation needs to know about the model."""

    session: Any
    kind: str
    name: str
    version: str
    sha256: str
    metadata: dict[str, str]
    source: str
    path: Path | None
    input_name: str
    input_shape: tuple[int | str | None, ...]
    output_name: str

    @property
    def decision_threshold(self) -> float:
        """The GNN's threshold on ``anomaly_probability`` (0.5 when the model names none)."""
        return float(self.metadata.get("decision_threshold", "0.5"))

    def json_list(self, key: str) -> list[str]:
        """A metadata entry holding a JSON list (defect or sensor names)."""
        try:
            value = json.loads(self.metadata[key])
        except (KeyError, json.JSONDecodeError) as exc:
            raise ModelError(f"{self.source}: metadata {key!r} is missing or not JSON") from exc
        return [str(v) for v in value]


def load_model(model: Path | str | bytes, *, kind: str) -> LoadedModel:
    """Open ``model`` (a path or the ONNX bytes) with ONNX Runtime and check it is a ``kind``.

    Raises :class:`ModelError` naming the file when it is unreadable or truncated, when its
    metadata says it is another kind of model, or when its input or output is not the one
    the ``kind`` model has.
    """
    source, path, data = _read_model_bytes(model)
    session = _open_session(data, source)
    metadata = dict(session.get_modelmeta().custom_metadata_map)
    actual_kind = metadata.get("model_kind")
    if actual_kind != kind:
        raise ModelError(
            f"{source}: evaluate {kind} was given a model whose metadata says "
            f"model_kind={actual_kind!r}; expected {kind!r} (input {INPUT_NAMES[kind]!r})"
        )
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name for o in session.get_outputs()}
    _require_io(source, kind, inputs, outputs)
    spec = inputs[INPUT_NAMES[kind]]
    return LoadedModel(
        session=session,
        kind=kind,
        name=metadata.get("model_name", f"{kind}-model"),
        version=metadata.get("version", "unversioned"),
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
        source=source,
        path=path,
        input_name=spec.name,
        input_shape=tuple(spec.shape),
        output_name=OUTPUT_NAMES[kind],
    )


def check_input(model: LoadedModel, x: np.ndarray, *, data_source: str) -> None:
    """Raise :class:`ModelError` naming both sides when ``x`` does not fit the model's input."""
    expected = model.input_shape
    if x.ndim != len(expected):
        raise ModelError(
            f"model {model.source} expects input {model.input_name!r} of rank {len(expected)} "
            f"{list(expected)}, but data {data_source} gives shape {list(x.shape)}"
        )
    for axis, (want, got) in enumerate(zip(expected[1:], x.shape[1:], strict=True), start=1):
        if isinstance(want, int) and want != got:
            raise ModelError(
                f"model {model.source} expects input {model.input_name!r} with shape "
                f"{list(expected)}, but data {data_source} gives {list(x.shape)} "
                f"(axis {axis}: {want} != {got})"
            )
    if x.dtype != np.float32:
        raise ModelError(
            f"model {model.source} expects float32 input, data {data_source} gives {x.dtype}"
        )


def predict(
    model: LoadedModel, x: np.ndarray, *, batch_size: int = 1024, progress: bool = False
) -> Iterator[tuple[slice, np.ndarray]]:
    """Run the model over ``x`` in batches, yielding each batch's rows and output.

    Raises :class:`ModelError` if the model produces NaN or infinity, naming the rows.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    starts = range(0, len(x), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc=f"evaluating {model.name}", unit="batch", leave=False)
    for start in starts:
        rows = slice(start, min(start + batch_size, len(x)))
        (out,) = model.session.run([model.output_name], {model.input_name: x[rows]})
        if not np.isfinite(out).all():
            bad = start + int(np.flatnonzero(~np.isfinite(out).reshape(len(out), -1).all(1))[0])
            raise ModelError(
                f"model {model.source} produced NaN or infinity for input row {bad} "
                f"(output {model.output_name!r}); no result was published"
            )
        yield rows, out


def _read_model_bytes(model: Path | str | bytes) -> tuple[str, Path | None, bytes]:
    if isinstance(model, bytes):
        return "<onnx bytes>", None, model
    path = Path(model)
    try:
        return str(path), path, path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from exc


def _open_session(data: bytes, source: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own exception types for a corrupt graph
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{source} is not a readable ONNX model: {first}") from exc


def _require_io(source: str, kind: str, inputs: dict, outputs: set[str]) -> None:
    want_in, want_out = INPUT_NAMES[kind], OUTPUT_NAMES[kind]
    if want_in not in inputs:
        raise ModelError(
            f"{source}: a {kind} model must have input {want_in!r}; it has {sorted(inputs)}"
        )
    if want_out not in outputs:
        raise ModelError(
            f"{source}: a {kind} model must have output {want_out!r}; it has {sorted(outputs)}"
        )
    dtype = inputs[want_in].type
    if dtype != "tensor(float)":
        raise ModelError(f"{source}: input {want_in!r} must be tensor(float), it is {dtype}")
