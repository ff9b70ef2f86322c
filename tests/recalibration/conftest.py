"""One MLflow store per module for the recalibration tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An output folder whose ``mlflow.db`` is created once for the module."""
    from glass_metrics.registry import open_client

    root = tmp_path_factory.mktemp("recalibration")
    open_client(root).search_registered_models()
    return root
