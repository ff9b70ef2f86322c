"""Evaluation of the real exported models: figures against scikit-learn, and bad input."""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import pytest
from sklearn import metrics as skm

from glass_metrics import api
from glass_metrics.errors import DataError, ModelError
from glass_metrics.evaluation import load_model
from glass_metrics.plant import datasets

pytestmark = pytest.mark.slow


def _reference_predictions(kind, model_path, data_dir):
    manifest = datasets.load_manifest(data_dir)
    frame = datasets.load_frame(datasets.split_path(data_dir, "test"), manifest)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    if kind == "lstm":
        window = int(session.get_modelmeta().custom_metadata_map["window"])
        x, y = datasets.lstm_arrays(frame, manifest, window=window)
        (pred,) = session.run(["defect_probability"], {"sensor_window": x})
        return y.astype(np.float64), pred.astype(np.float64)
    arrays = datasets.gnn_arrays(frame, manifest)
    (score,) = session.run(["anomaly_probability"], {"node_features": arrays.x})
    return arrays.y.astype(int), score.reshape(-1).astype(np.float64)


def test_lstm_figures_match_scikit_learn(trained_models, plant_dir):
    result = api.evaluate("lstm", trained_models["lstm"], plant_dir, sinks=())
    y, pred = _reference_predictions("lstm", trained_models["lstm"], plant_dir)

    assert result.n_samples == len(y)
    assert result.metrics["mse"].value == pytest.approx(skm.mean_squared_error(y, pred), rel=1e-6)
    assert result.metrics["mae"].value == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-6)
    assert result.metrics["r2_score"].value == pytest.approx(skm.r2_score(y, pred), rel=1e-6)
    assert result.metrics["rmse"].value == pytest.approx(math.sqrt(result.metrics["mse"].value))
    first = list(result.breakdowns["defect"])[0]
    assert result.breakdowns["defect"][first]["mse"].value == pytest.approx(
        skm.mean_squared_error(y[:, 0], pred[:, 0]), rel=1e-6
    )
    for m in result.metrics.values():
        assert m.n == len(y)
        assert m.ci_low <= m.value <= m.ci_high


def test_gnn_figures_match_scikit_learn(trained_models, plant_dir):
    result = api.evaluate("gnn", trained_models["gnn"], plant_dir, sinks=())
    y, score = _reference_predictions("gnn", trained_models["gnn"], plant_dir)
    threshold = load_model(trained_models["gnn"], kind="gnn").decision_threshold
    predicted = (score >= threshold).astype(int)

    assert result.n_samples == len(y)
    figures = result.figures()
    assert figures["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted), rel=1e-9)
    assert figures["f1_score"] == pytest.approx(skm.f1_score(y, predicted), rel=1e-9)
    assert figures["recall"] == pytest.approx(skm.recall_score(y, predicted), rel=1e-9)
    assert figures["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score), abs=5e-3)
    assert set(result.breakdowns) == {"zone", "anomaly_kind"}
    assert sum(r["recall"].n for r in result.breakdowns["anomaly_kind"].values()) == y.sum()


def test_gnn_model_given_to_evaluate_lstm_names_both_sides(trained_models, plant_dir):
    with pytest.raises(ModelError, match=r"evaluate lstm .* model_kind='gnn'"):
        api.evaluate("lstm", trained_models["gnn"], plant_dir, sinks=())


def test_truncated_onnx_is_refused(trained_models, plant_dir, tmp_path):
    broken = tmp_path / "truncated.onnx"
    data = trained_models["lstm"].read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"truncated.onnx is not a readable ONNX model"):
        api.evaluate("lstm", broken, plant_dir, sinks=())


def test_missing_sensor_column_names_the_file(trained_models, plant_copy):
    import pandas as pd

    path = plant_copy / "test.parquet"
    frame = pd.read_parquet(path)
    sensor = datasets.load_manifest(plant_copy)["sensors"][0]["name"]
    frame.drop(columns=[sensor]).to_parquet(path)
    with pytest.raises(DataError, match=rf"test.parquet.*{sensor}"):
        api.evaluate("gnn", trained_models["gnn"], plant_copy, sinks=())


def test_model_outputting_nan_is_refused(trained_models, plant_dir, tmp_path):
    from tests.evaluation.onnx_fakes import nan_lstm

    fake = tmp_path / "nan.onnx"
    fake.write_bytes(nan_lstm(trained_models["lstm"]))
    with pytest.raises(ModelError, match=r"produced NaN or infinity for input row 0"):
        api.evaluate("lstm", fake, plant_dir, sinks=())


def test_model_input_shape_mismatch_names_both_sides(trained_models, plant_dir, tmp_path):
    from tests.evaluation.onnx_fakes import nan_lstm

    fake = tmp_path / "wide.onnx"
    fake.write_bytes(nan_lstm(trained_models["lstm"], extra_sensors=3))
    with pytest.raises(ModelError, match=r"expects input 'sensor_window' .* but data .*test"):
        api.evaluate("lstm", fake, plant_dir, sinks=())
