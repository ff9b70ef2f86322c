"""Shared fixtures: one tiny simulated plant and tiny trained models per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def plant_dir(tmp_path_factory) -> Path:
    """A small simulated dataset (scenario none), written once per session."""
    from glass_metrics.plant.simulator import simulate

    out = tmp_path_factory.mktemp("plant") / "data"
    simulate(out, seed=7, scenario="none", days=2)
    return out


@pytest.fixture(scope="session")
def trained_models(plant_dir, tmp_path_factory) -> dict[str, Path]:
    """Both reference models trained for one epoch on ``plant_dir``, exported to ONNX."""
    from glass_metrics import api

    work = tmp_path_factory.mktemp("trained")
    paths = {}
    for kind in ("lstm", "gnn"):
        paths[kind] = work / f"{kind}.onnx"
        api.train(kind, plant_dir, onnx_path=paths[kind], out=work / "ml_metrics", epochs=1)
    return paths


@pytest.fixture
def plant_copy(plant_dir, tmp_path) -> Path:
    """A private copy of the dataset that a test may damage."""
    target = tmp_path / "data"
    shutil.copytree(plant_dir, target)
    return target
