"""Training metrics to TensorBoard and MLflow through one small API, for any training loop.

Usage::

    with TrainingLogger("lstm", out="ml_metrics", params={"hidden": 48, "lr": 3e-3}) as tl:
        for epoch in range(1, epochs + 1):
            ...
            tl.log_epoch(epoch, {"train_loss": 0.12, "val_loss": 0.13, "lr": 3e-3})
        tl.log_metrics({"test_r2_score": 0.81, "baseline_test_r2_score": 0.15})
        tl.log_artifact("models/lstm.onnx")

Where the figures go:

- TensorBoard: one scalar per metric name (the tag is the name, the step the epoch) under
  ``<out>/tensorboard/training/<model>-<run>/``, so runs of one model compare side by side;
- MLflow: a run named ``<run>`` in the experiment ``LSTM_Training`` or ``GNN_Training``
  (:data:`TRAINING_EXPERIMENTS`; other model names get ``<MODEL>_Training``) of the folder's
  SQLite store ``<out>/mlflow.db``, artifacts under ``<out>/mlruns/``. Params and each call's
  metrics are sent in one ``log_batch`` request; tag ``model_kind`` names the model.

Leaving the block normally ends the MLflow run ``FINISHED``; an exception ends it ``FAILED``
(with the error in the tag ``error``) and propagates. The logger imports no deep-learning
framework; values must be plain numbers.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from glass_metrics.config import DEFAULT_OUT, OutputLayout
from glass_metrics.mlflow_store import client_for, ensure_experiment

log = logging.getLogger(__name__)

TRAINING_EXPERIMENTS = {"lstm": "LSTM_Training", "gnn": "GNN_Training"}
_MLFLOW_BATCH = 1000


def training_experiment(model: str) -> str:
    """The MLflow experiment that holds training runs of ``model``."""
    return TRAINING_EXPERIMENTS.get(model, f"{model.upper()}_Training")


def default_run_name() -> str:
    """A sortable, unique run name: UTC time of the start plus a short random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:4]}"


class TrainingLogger:
    """A context manager that records one training run in TensorBoard and MLflow.

    ``params`` (hyperparameters, data seed, scenario, ...) are logged as MLflow params and as
    TensorBoard text; ``tags`` as MLflow tags.
    """

    def __init__(
        self,
        model: str,
        *,
        out: Path | str = DEFAULT_OUT,
        run_name: str | None = None,
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.out = Path(out)
        self.run_name = run_name or default_run_name()
        self.params = dict(params or {})
        self.tags = {"model_kind": model, **(tags or {})}
        self.logdir = OutputLayout(self.out).training_logdir(model, self.run_name)
        self.run_id: str | None = None
        self._client: Any = None
        self._writer: Any = None

    def __enter__(self) -> TrainingLogger:
        from tensorboardX import SummaryWriter

        self._client = client_for(self.out)
        experiment_id = ensure_experiment(self._client, training_experiment(self.model), self.out)
        run = self._client.create_run(experiment_id, run_name=self.run_name, tags=self.tags)
        self.run_id = run.info.run_id
        self._writer = SummaryWriter(logdir=str(self.logdir))
        self.log_params(self.params)
        log.info(
            "training run %s of %s: TensorBoard %s, MLflow run %s",
            self.run_name,
            self.model,
            self.logdir,
            self.run_id,
        )
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        status = "FINISHED" if exc_type is None else "FAILED"
        try:
            if exc is not None:
                self._client.set_tag(self.run_id, "error", f"{exc_type.__name__}: {exc}"[:5000])
            self._client.set_terminated(self.run_id, status=status)
        finally:
            self._writer.close()
        log.info("training run %s ended %s", self.run_name, status)

    def log_params(self, params: Mapping[str, object]) -> None:
        """Record hyperparameters and data provenance (values are stored as strings)."""
        from mlflow.entities import Param

        if not params:
            return
        self._client.log_batch(self.run_id, params=[Param(k, str(v)) for k, v in params.items()])
        text = "\n".join(f"- {key}: {value}" for key, value in params.items())
        self._writer.add_text("params", text, 0)

    def log_epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        """Record one epoch's figures (losses, scores, learning rate) at step ``epoch``."""
        self._log(metrics, step=int(epoch))

    def log_metrics(self, metrics: Mapping[str, float], *, step: int = 0) -> None:
        """Record figures of the whole run, such as the test scores and the baselines'."""
        self._log(metrics, step=step)

    def log_artifact(self, path: Path | str, artifact_path: str | None = None) -> None:
        """Copy a file (the ONNX model, a report) into the MLflow run's artifacts."""
        self._client.log_artifact(self.run_id, str(path), artifact_path)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Add MLflow tags to the run."""
        for key, value in tags.items():
            self._client.set_tag(self.run_id, key, str(value))

    def _log(self, metrics: Mapping[str, float], *, step: int) -> None:
        from mlflow.entities import Metric

        if self._client is None:
            raise RuntimeError("TrainingLogger must be entered with 'with' before logging")
        stamp = int(time.time() * 1000)
        batch = []
        for name, value in metrics.items():
            value = float(value)
            self._writer.add_scalar(name, value, step)
            batch.append(Metric(name, value if not math.isinf(value) else math.nan, stamp, step))
        for start in range(0, len(batch), _MLFLOW_BATCH):
            self._client.log_batch(self.run_id, metrics=batch[start : start + _MLFLOW_BATCH])
        self._writer.flush()
