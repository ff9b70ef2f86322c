"""Tiny ONNX models with the reference models' inputs, outputs and metadata (no torch needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DEFECTS = ["bubbles", "stones", "cords", "tin_defects", "distortion", "cracks"]
SENSORS = ["furnace_temp", "fuel_flow", "o2", "tin_bath_temp"]
WINDOW = 5


def _metadata(kind: str, version: str, extra: dict[str, str]) -> dict[str, str]:
    meta = {
        "model_name": "glass-defect-lstm" if kind == "lstm" else "glass-anomaly-gnn",
        "model_kind": kind,
        "version": version,
        "defect_names": json.dumps(DEFECTS),
        "sensor_names": json.dumps(SENSORS),
        "window": str(WINDOW),
        "feature_names": json.dumps(["value", "delta"]),
    }
    meta.update(extra)
    return meta


def _finish(graph, kind: str, version: str, extra: dict[str, str]) -> bytes:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, _metadata(kind, version, extra))
    onnx.checker.check_model(model)
    return model.SerializeToString()


def lstm_bytes(
    *,
    seed: int = 0,
    version: str = "1.0",
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    window: int = WINDOW,
    sensors: list[str] = SENSORS,
    **extra: str,
) -> bytes:
    """sensor_window [N, window, S] -> mean over time -> linear -> defect_logit, probability.

    ``weight`` (S, 6) and ``bias`` (6,) default to random values for the 4 test sensors.
    """
    rng = np.random.default_rng(seed)
    if weight is None:
        weight = rng.normal(size=(len(sensors), 6))
    if bias is None:
        bias = rng.normal(size=6)
    weight, bias = weight.astype(np.float32), bias.astype(np.float32)
    extra.setdefault("window", str(window))
    extra.setdefault("sensor_names", json.dumps(sensors))
    nodes = [
        helper.make_node("ReduceMean", ["sensor_window"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "W"], ["projected"]),
        helper.make_node("Add", ["projected", "B"], ["defect_logit"]),
        helper.make_node("Sigmoid", ["defect_logit"], ["defect_probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "lstm",
        [
            helper.make_tensor_value_info(
                "sensor_window", TensorProto.FLOAT, ["batch", window, len(sensors)]
            )
        ],
        [
            helper.make_tensor_value_info("defect_probability", TensorProto.FLOAT, ["batch", 6]),
            helper.make_tensor_value_info("defect_logit", TensorProto.FLOAT, ["batch", 6]),
        ],
        [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "B")],
    )
    return _finish(graph, "lstm", version, extra)


def gnn_bytes(*, version: str = "1.0", **extra: str) -> bytes:
    """node_features [N, 4, 2] -> mean -> 3 * mean - 1 -> anomaly_logit, anomaly_probability."""
    nodes = [
        helper.make_node("ReduceMean", ["node_features"], ["pooled"], axes=[1, 2], keepdims=0),
        helper.make_node("Mul", ["pooled", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "shift"], ["anomaly_logit"]),
        helper.make_node("Sigmoid", ["anomaly_logit"], ["anomaly_probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "gnn",
        [helper.make_tensor_value_info("node_features", TensorProto.FLOAT, ["batch", 4, 2])],
        [
            helper.make_tensor_value_info("anomaly_probability", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("anomaly_logit", TensorProto.FLOAT, ["batch"]),
        ],
        [
            numpy_helper.from_array(np.array(3.0, np.float32), "scale"),
            numpy_helper.from_array(np.array(-1.0, np.float32), "shift"),
        ],
    )
    extra.setdefault("decision_threshold", "0.5")
    return _finish(graph, "gnn", version, extra)


def write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` and return the path."""
    path.write_bytes(data)
    return path
