"""Shared fixtures: the synthetic ONNX builders of tests/registry and one MLflow store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An output folder whose ``mlflow.db`` is created once for the module."""
    from glass_metrics.registry import open_client

    root = tmp_path_factory.mktemp("recalibration")
    open_client(root).search_registered_models()
    return root
