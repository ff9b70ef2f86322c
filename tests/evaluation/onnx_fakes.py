"""Hand-built ONNX graphs that look like the reference models but misbehave."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def nan_lstm(real_model_path, *, extra_sensors: int = 0) -> bytes:
    """An LSTM look-alike (same metadata and I/O names) whose probabilities are all NaN.

    With ``extra_sensors`` its input is wider than the data, to provoke a shape mismatch.
    """
    real = onnx.load(str(real_model_path))
    meta = {p.key: p.value for p in real.metadata_props}
    window = int(meta["window"])
    n_sensors = len(json.loads(meta["sensor_names"])) + extra_sensors
    n_defects = len(json.loads(meta["defect_names"]))

    x = helper.make_tensor_value_info(
        "sensor_window", TensorProto.FLOAT, ["batch", window, n_sensors]
    )
    prob = helper.make_tensor_value_info(
        "defect_probability", TensorProto.FLOAT, ["batch", n_defects]
    )
    logit = helper.make_tensor_value_info("defect_logit", TensorProto.FLOAT, ["batch", n_defects])
    constants = [
        numpy_helper.from_array(np.array([window - 1], dtype=np.int64), "last"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "start"),
        numpy_helper.from_array(np.array([n_defects], dtype=np.int64), "stop"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis"),
        numpy_helper.from_array(np.array(np.nan, dtype=np.float32), "nan"),
    ]
    nodes = [
        helper.make_node("Gather", ["sensor_window", "last"], ["step"], axis=1),
        helper.make_node("Squeeze", ["step", "axis"], ["latest"]),
        helper.make_node("Slice", ["latest", "start", "stop", "axis"], ["first"]),
        helper.make_node("Mul", ["first", "nan"], ["defect_logit"]),
        helper.make_node("Sigmoid", ["defect_logit"], ["defect_probability"]),
    ]
    graph = helper.make_graph(nodes, "nan_lstm", [x], [prob, logit], initializer=constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    return model.SerializeToString()
