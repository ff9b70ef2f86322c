"""ONNX export: a valid graph, named I/O, dynamic batch, metadata, PyTorch's numbers."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from glass_metrics.models import export, training
from glass_metrics.plant import datasets

pytestmark = pytest.mark.slow

COMMON_KEYS = {
    "model_name",
    "model_kind",
    "version",
    "input_schema",
    "defect_names",
    "sensor_names",
    "data_seed",
    "scenario",
    "trained_at",
}
EXPECTED = {
    "lstm": (
        "glass-defect-lstm",
        "sensor_window",
        ["defect_probability", "defect_logit"],
        {"window"},
    ),
    "gnn": (
        "glass-anomaly-gnn",
        "node_features",
        ["anomaly_probability", "anomaly_logit"],
        {"feature_names", "decision_threshold"},
    ),
}


def _frames(data):
    manifest = datasets.load_manifest(data)
    return manifest, {
        split: datasets.load_frame(datasets.split_path(data, split), manifest)
        for split in datasets.SPLITS
    }


@pytest.mark.parametrize("kind", ["lstm", "gnn"])
def test_exported_file_is_valid_with_names_and_metadata(trained, kind):
    name, input_name, outputs, extra = EXPECTED[kind]
    proto = onnx.load(trained[kind]["onnx"])

    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version >= 17
    meta = {p.key: p.value for p in proto.metadata_props}
    assert COMMON_KEYS | extra <= set(meta)
    assert (meta["model_name"], meta["model_kind"]) == (name, kind)
    assert meta["version"] == trained[kind]["mlflow_run_id"][:8]
    schema = json.loads(meta["input_schema"])
    assert schema["name"] == input_name and schema["dtype"] == "float32"
    assert schema["sensor_order"] == json.loads(meta["sensor_names"])
    assert len(json.loads(meta["defect_names"])) == 6
    assert [i.name for i in proto.graph.input] == [input_name]
    assert [o.name for o in proto.graph.output] == outputs
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


@pytest.mark.parametrize("kind", ["lstm", "gnn"])
def test_onnx_runtime_reproduces_pytorch_on_the_test_set(tiny_data, kind):
    torch.manual_seed(0)
    manifest, frames = _frames(tiny_data)
    task = (training._lstm_task if kind == "lstm" else training._gnn_task)(
        frames, manifest, {**training.DEFAULTS[kind], "hidden": 8}
    )
    x = task.test[0]
    input_name, outputs = training.IO_NAMES[kind]

    data = export.to_onnx(
        task.model,
        torch.from_numpy(x[:2]),
        input_name=input_name,
        output_names=outputs,
        metadata={"model_kind": kind},
    )
    expected = training.predict(task.model, x)
    produced = export.run_onnx(data, x)

    for ours, theirs in zip(produced, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert export.verify(data, x, list(expected)) <= 1e-5


@pytest.mark.parametrize("kind", ["lstm", "gnn"])
def test_batch_dimension_is_dynamic(tiny_data, trained, kind):
    manifest, frames = _frames(tiny_data)
    if kind == "lstm":
        x = datasets.lstm_arrays(frames["test"], manifest)[0]
    else:
        x = datasets.gnn_arrays(frames["test"], manifest).x
    session = ort.InferenceSession(trained[kind]["onnx"])
    input_name = session.get_inputs()[0].name

    for batch in (1, 37):
        probability, logit = session.run(None, {input_name: x[:batch]})
        assert len(probability) == len(logit) == batch
        np.testing.assert_allclose(probability, 1 / (1 + np.exp(-logit)), atol=1e-6)
        assert ((probability >= 0) & (probability <= 1)).all()
