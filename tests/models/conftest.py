"""A tiny plant and tiny trained models, shared by the model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from glass_metrics.plant.simulator import simulate

TINY_ROWS = {"train": 400, "validation": 200, "test": 200}
TINY = {"hidden": 8}


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """400/200/200 rows and one production day of a healthy line."""
    out = tmp_path_factory.mktemp("tiny_models") / "data"
    simulate(out, seed=5, scenario="none", days=1, rows=TINY_ROWS)
    return out


@pytest.fixture(scope="session")
def metrics_dir(tmp_path_factory) -> Path:
    """One metrics folder for the model tests (an MLflow store takes seconds to create)."""
    return tmp_path_factory.mktemp("ml_metrics")


@pytest.fixture(scope="session")
def trained(tiny_data, metrics_dir, tmp_path_factory) -> dict[str, dict]:
    """Both models trained for two epochs at hidden size 8: the reports of ``train``."""
    from glass_metrics.models.training import train

    models = tmp_path_factory.mktemp("onnx")
    return {
        kind: train(
            kind,
            tiny_data,
            onnx_path=models / f"{kind}.onnx",
            out=metrics_dir,
            epochs=2,
            run_name=f"tiny-{kind}",
            overrides=TINY,
        )
        for kind in ("lstm", "gnn")
    }
