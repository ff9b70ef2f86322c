"""TrainingLogger: TensorBoard scalars and one MLflow run per training, ended honestly."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from glass_metrics.config import OutputLayout, tracking_uri
from glass_metrics.sinks.training_log import TrainingLogger, training_experiment


def _client(out) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri(out))


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """One output folder for the module: creating an MLflow store takes seconds."""
    return tmp_path_factory.mktemp("training_log")


@pytest.fixture(scope="module")
def first(out):
    """A finished two-epoch run named ``first``."""
    return _log_two_epochs(out)


def _log_two_epochs(out, run_name="first", model="lstm"):
    params = {"hidden": 16, "data_seed": 3, "scenario": "none"}
    with TrainingLogger(model, out=out, run_name=run_name, params=params) as logger:
        for epoch, loss in ((1, 0.5), (2, 0.25)):
            logger.log_epoch(epoch, {"train_loss": loss, "val_loss": loss + 0.1, "lr": 0.01})
        logger.log_metrics({"test_r2_score": 0.8, "baseline_test_r2_score": 0.2})
    return logger


def test_epochs_become_tensorboard_scalars(out, first):
    logdir = OutputLayout(out).training_logdir("lstm", "first")
    events = EventAccumulator(str(logdir))
    events.Reload()
    assert {"train_loss", "val_loss", "lr", "test_r2_score"} <= set(events.Tags()["scalars"])
    losses = [(e.step, e.value) for e in events.Scalars("train_loss")]
    assert losses == [(1, pytest.approx(0.5)), (2, pytest.approx(0.25))]


def test_mlflow_run_holds_params_history_and_test_figures(out, first):
    client = _client(out)
    run = client.get_run(first.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == training_experiment("lstm") == "LSTM_Training"
    assert run.info.status == "FINISHED" and run.info.run_name == "first"
    assert run.data.params == {"hidden": "16", "data_seed": "3", "scenario": "none"}
    assert run.data.tags["model_kind"] == "lstm"
    assert run.data.metrics["baseline_test_r2_score"] == pytest.approx(0.2)
    history = client.get_metric_history(first.run_id, "val_loss")
    assert [(m.step, round(m.value, 6)) for m in history] == [(1, 0.6), (2, 0.35)]


def test_metrics_go_in_batches(out, monkeypatch):
    calls = {"log_batch": 0, "log_metric": 0}
    for name in calls:
        original = getattr(MlflowClient, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MlflowClient, name, counted)

    _log_two_epochs(out, "batched")

    assert calls["log_metric"] == 0
    assert calls["log_batch"] == 4  # params, two epochs, the test figures


def test_an_exception_fails_the_run_and_propagates(out):
    with pytest.raises(RuntimeError, match="diverged"):
        with TrainingLogger("gnn", out=out, run_name="broken") as logger:
            logger.log_epoch(1, {"train_loss": 1.0})
            raise RuntimeError("loss diverged")

    run = _client(out).get_run(logger.run_id)
    assert run.info.status == "FAILED"
    assert "diverged" in run.data.tags["error"]


def test_two_runs_sit_side_by_side(out):
    a, b = (_log_two_epochs(out, name, model="furnace_model") for name in ("a", "b"))

    training = OutputLayout(out).tensorboard / "training"
    assert {"furnace_model-a", "furnace_model-b"} <= {p.name for p in training.iterdir()}
    client = _client(out)
    experiment = client.get_experiment_by_name("FURNACE_MODEL_Training")
    runs = client.search_runs([experiment.experiment_id])
    assert {run.info.run_id for run in runs} == {a.run_id, b.run_id}
