"""One SQLite MLflow store for the module (its first initialisation takes seconds)."""

from __future__ import annotations

import pytest

from tests.registry.synthetic_onnx import gnn_bytes, lstm_bytes, write


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An output folder whose ``mlflow.db`` is created once for the module."""
    from glass_metrics.registry import open_client

    root = tmp_path_factory.mktemp("registry")
    open_client(root).search_registered_models()
    return root


@pytest.fixture
def lstm_file(tmp_path):
    return write(tmp_path / "lstm.onnx", lstm_bytes())


@pytest.fixture
def gnn_file(tmp_path):
    return write(tmp_path / "gnn.onnx", gnn_bytes())
