"""A tiny simulated plant with drift, shared by the plant tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from glass_metrics.plant.simulator import simulate

TINY_ROWS = {"train": 300, "validation": 150, "test": 150}


@pytest.fixture(scope="session")
def tiny_plant(tmp_path_factory) -> Path:
    """300/150/150 rows and 4 production days of the sensor-drift scenario (drift on day 4)."""
    out = tmp_path_factory.mktemp("tiny_plant") / "data"
    simulate(out, seed=3, scenario="sensor_drift", days=4, rows=TINY_ROWS)
    return out
