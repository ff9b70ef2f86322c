"""Opening the MLflow Model Registry of an output folder, and naming a model version.

The registry lives in the same store the MLflow sink writes (``<root>/mlflow.db`` unless an
explicit URI, or ``MLFLOW_TRACKING_URI``, names another), opened by
:func:`glass_metrics.mlflow_store.client_for`, which sits at the bottom layer with the
configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glass_metrics.config import REGISTERED_NAMES
from glass_metrics.errors import ConfigError
from glass_metrics.mlflow_store import client_for as open_client

__all__ = ["ALIASES", "REGISTRY_EXPERIMENT", "ModelSpec", "open_client", "parse_spec"]

REGISTRY_EXPERIMENT = "Model_Registry"
ALIASES = ("champion", "challenger")

_SPEC = re.compile(r"^(?P<name>[\w.\-]+)(?:@(?P<alias>[\w\-]+)|/(?P<version>\d+))?$")


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
