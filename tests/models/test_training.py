"""Training: the report, the MLflow run and its figures, and what a failure leaves behind."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from glass_metrics.config import OutputLayout, tracking_uri
from glass_metrics.errors import DataError, ModelError
from glass_metrics.models import export, training

from .conftest import TINY

pytestmark = pytest.mark.slow

FIGURES = {
    "lstm": ("test_r2_score", "baseline_test_r2_score"),
    "gnn": ("test_f1_score", "baseline_test_f1_score"),
}


@pytest.mark.parametrize("kind", ["lstm", "gnn"])
def test_report_and_mlflow_run_hold_model_and_baseline_figures(trained, metrics_dir, kind):
    report = trained[kind]
    client = MlflowClient(tracking_uri=tracking_uri(metrics_dir))
    run = client.get_run(report["mlflow_run_id"])

    assert run.info.status == "FINISHED"
    assert {"seconds", "onnx", "mlflow_run_id", *FIGURES[kind]} <= set(report)
    for name in FIGURES[kind]:
        assert run.data.metrics[name] == pytest.approx(report[name])
    assert report["onnx_max_abs_diff"] <= 1e-5
    assert {"data_seed", "scenario", "hidden", "learning_rate"} <= set(run.data.params)
    per_epoch = "val_r2_score" if kind == "lstm" else "val_f1_score"
    for name in ("train_loss", "val_loss", "lr", per_epoch):
        assert [m.step for m in client.get_metric_history(run.info.run_id, name)] == [1, 2]
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "onnx")]
    assert artifacts == [f"onnx/{kind}.onnx"]
    logdir = OutputLayout(metrics_dir).training_logdir(kind, f"tiny-{kind}")
    assert any(logdir.glob("events.out.tfevents.*"))


def test_a_failed_run_leaves_no_onnx_and_is_marked_failed(
    tiny_data, metrics_dir, tmp_path, monkeypatch
):
    def broken(*args, **kwargs):
        raise ModelError("ONNX Runtime differs from PyTorch by 1e-2")

    monkeypatch.setattr(export, "verify", broken)
    target = tmp_path / "lstm.onnx"

    with pytest.raises(ModelError, match="differs"):
        training.train(
            "lstm",
            tiny_data,
            onnx_path=target,
            out=metrics_dir,
            epochs=1,
            run_name="doomed",
            overrides=TINY,
        )

    assert not target.exists() and not list(tmp_path.iterdir())
    client = MlflowClient(tracking_uri=tracking_uri(metrics_dir))
    experiment = client.get_experiment_by_name("LSTM_Training")
    [run] = client.search_runs([experiment.experiment_id], "attributes.run_name = 'doomed'")
    assert run.info.status == "FAILED"


def test_bad_kind_and_bad_data_are_refused(tiny_data, tmp_path):
    with pytest.raises(ModelError, match="unknown model kind 'rnn'"):
        training.train("rnn", tiny_data, onnx_path=tmp_path / "x.onnx", out=tmp_path)
    with pytest.raises(DataError, match="no manifest"):
        training.train("gnn", tmp_path, onnx_path=tmp_path / "x.onnx", out=tmp_path)
    assert not (tmp_path / "x.onnx").exists()
