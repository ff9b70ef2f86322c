"""Where things live: the output folder's layout and the MLflow store behind it.

The embedded default keeps everything in one folder (``ml_metrics/``): a SQLite MLflow
store ``mlflow.db`` with artifacts under ``mlruns/``. Setting ``tracking_uri`` (or the
``MLFLOW_TRACKING_URI`` environment variable) points MLflow at a server instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUT = Path("ml_metrics")

EXPERIMENTS = {"lstm": "LSTM_ONNX_Evaluation", "gnn": "GNN_ONNX_Evaluation"}
REGISTERED_NAMES = {"lstm": "glass-defect-lstm", "gnn": "glass-anomaly-gnn"}
MODEL_KINDS = tuple(EXPERIMENTS)


@dataclass(frozen=True)
class OutputLayout:
    """Paths inside one output folder, as described in DESIGN.md section 4."""

    root: Path

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    def training_logdir(self, model: str, run: str) -> Path:
        return self.tensorboard / "training" / f"{model}-{run}"

    def evaluation_logdir(self, experiment: str) -> Path:
        return self.tensorboard / experiment

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlruns(self) -> Path:
        return self.root / "mlruns"

    def summary_json(self, experiment: str) -> Path:
        return self.root / f"{experiment}_summary.json"

    def prom_file(self, kind: str) -> Path:
        return self.root / f"{kind}_evaluation.prom"

    @property
    def lock_file(self) -> Path:
        return self.root / ".publish.lock"


def tracking_uri(root: Path, override: str | None = None) -> str:
    """The MLflow tracking URI: an explicit override, the environment, or the folder's SQLite."""
    if override:
        return override
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{(Path(root) / 'mlflow.db').resolve()}"
