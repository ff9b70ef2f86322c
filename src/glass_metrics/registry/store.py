"""Opening the MLflow Model Registry of an output folder, and naming a model version.

The registry sits below evaluation and the sinks (DESIGN.md section 3), so it opens its own
``MlflowClient`` on the same store the MLflow sink writes: ``<root>/mlflow.db`` unless an
explicit URI (or ``MLFLOW_TRACKING_URI``) names another.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from glass_metrics.config import REGISTERED_NAMES, tracking_uri
from glass_metrics.errors import ConfigError

for _noisy in ("alembic", "mlflow.store.db.utils", "mlflow.tracking.fluent"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

REGISTRY_EXPERIMENT = "Model_Registry"
ALIASES = ("champion", "challenger")

_SPEC = re.compile(r"^(?P<name>[\w.\-]+)(?:@(?P<alias>[\w\-]+)|/(?P<version>\d+))?$")


def open_client(root: Path, uri: str | None = None):
    """An ``MlflowClient`` for tracking and registry on the folder's store (or ``uri``)."""
    from mlflow.tracking import MlflowClient

    Path(root).mkdir(parents=True, exist_ok=True)
    resolved = tracking_uri(Path(root), uri)
    return MlflowClient(tracking_uri=resolved, registry_uri=resolved)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed ``NAME``, ``NAME@ALIAS`` or ``NAME/VERSION``; a bare name means its champion."""

    name: str
    alias: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}" if self.alias else self.name


def parse_spec(spec: str) -> ModelSpec:
    """Parse ``spec``; ``lstm``/``gnn`` stand for their registered names.

    Raises :class:`ConfigError` naming the accepted forms when ``spec`` fits none of them.
    """
    match = _SPEC.match(spec.strip())
    if not match:
        raise ConfigError(
            f"model spec {spec!r} is not NAME, NAME@ALIAS or NAME/VERSION "
            f"(for example 'glass-defect-lstm@champion' or 'glass-anomaly-gnn/3')"
        )
    name = REGISTERED_NAMES.get(match["name"], match["name"])
    return ModelSpec(name=name, alias=match["alias"], version=match["version"])
