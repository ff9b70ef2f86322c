"""The calibrated ONNX graph: valid, same I/O, and equal to the calibration in numpy."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from glass_metrics.errors import ModelError
from glass_metrics.recalibration import (
    PlattParams,
    ThresholdParams,
    apply_platt,
    calibrated_gnn,
    calibrated_lstm,
    next_version,
)
from tests.registry.synthetic_onnx import DEFECTS, gnn_bytes, lstm_bytes


def run(data: bytes, feed: dict) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feed), strict=True))


def meta(data: bytes) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load_from_string(data).metadata_props}


def test_lstm_graph_applies_platt_like_numpy():
    parent = lstm_bytes(seed=4)
    params = PlattParams(
        a=np.array([0.5, 1.5, 2.0, 0.8, 1.0, 0.3], np.float32),
        b=np.array([-1.0, 0.2, 0.0, 0.5, -0.3, 1.0], np.float32),
        outputs=tuple(DEFECTS),
    )
    x = np.random.default_rng(0).normal(size=(64, 5, 4)).astype(np.float32)

    child = calibrated_lstm(parent, params)
    onnx.checker.check_model(onnx.load_from_string(child))
    original, calibrated = run(parent, {"sensor_window": x}), run(child, {"sensor_window": x})
    expected_logit, expected_prob = apply_platt(original["defect_logit"], params)

    assert sorted(calibrated) == ["defect_logit", "defect_probability"]
    np.testing.assert_allclose(calibrated["defect_logit"], expected_logit, atol=1e-5)
    np.testing.assert_allclose(calibrated["defect_probability"], expected_prob, atol=1e-5)
    assert len(onnx.load_from_string(child).graph.node) == 6  # the old Sigmoid was pruned


def test_lstm_metadata_names_the_parent_and_the_parameters():
    parent = lstm_bytes(version="1.0")
    params = PlattParams(np.ones(6, np.float32), np.zeros(6, np.float32), tuple(DEFECTS))

    child = meta(calibrated_lstm(parent, params, extra={"windows": ["production/day_005"]}))

    assert child["version"] == "1.0+cal1"
    assert child["calibrated_from"] == hashlib.sha256(parent).hexdigest()
    assert json.loads(child["calibration"])["windows"] == ["production/day_005"]
    assert json.loads(child["defect_names"]) == DEFECTS
    assert next_version(child["version"]) == "1.0+cal2"


def test_gnn_threshold_goes_into_the_metadata_and_outputs_are_unchanged():
    parent = gnn_bytes()
    x = np.random.default_rng(1).normal(size=(16, 4, 2)).astype(np.float32)

    child = calibrated_gnn(parent, ThresholdParams(0.37, "best F1"))

    assert meta(child)["decision_threshold"] == "0.37"
    np.testing.assert_array_equal(
        run(child, {"node_features": x})["anomaly_probability"],
        run(parent, {"node_features": x})["anomaly_probability"],
    )


def test_an_lstm_without_a_logit_output_is_refused():
    with pytest.raises(ModelError, match="must output 'defect_logit'"):
        calibrated_lstm(gnn_bytes(), PlattParams(np.ones(6), np.zeros(6), tuple(DEFECTS)))


def test_a_calibrated_model_can_be_calibrated_again():
    first = PlattParams(np.full(6, 0.5, np.float32), np.full(6, -1.0, np.float32), tuple(DEFECTS))
    second = PlattParams(np.full(6, 2.0, np.float32), np.full(6, 0.3, np.float32), tuple(DEFECTS))
    x = np.random.default_rng(2).normal(size=(8, 5, 4)).astype(np.float32)
    parent = lstm_bytes(seed=6)

    twice = calibrated_lstm(calibrated_lstm(parent, first), second)

    logit, _ = apply_platt(run(parent, {"sensor_window": x})["defect_logit"], first)
    _, expected = apply_platt(logit, second)
    np.testing.assert_allclose(
        run(twice, {"sensor_window": x})["defect_probability"], expected, atol=1e-5
    )
    assert meta(twice)["version"] == "1.0+cal2"


def test_parameters_of_the_wrong_width_are_refused():
    params = PlattParams(np.ones(4, np.float32), np.zeros(4, np.float32), tuple(DEFECTS[:4]))

    with pytest.raises(ModelError, match="4 scales and 4 offsets for a model with 6 defect"):
        calibrated_lstm(lstm_bytes(), params)
