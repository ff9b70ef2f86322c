"""The scale path: MLflow tracking and model registry in a real PostgreSQL, not in SQLite.

Each test gets its own database on the session's private server (see ``conftest.py``) and
passes its URI explicitly; the output folder must then hold no ``mlflow.db``, while the
artifacts of the experiments glass-metrics creates stay under ``<out>/mlruns``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from glass_metrics import api
from glass_metrics.config import EXPERIMENTS, REGISTERED_NAMES
from glass_metrics.monitoring.monitor import Monitor
from glass_metrics.registry import register_model, resolve
from glass_metrics.registry.signature import sha256_of
from glass_metrics.sinks.mlflow_run import run_figures

pytestmark = pytest.mark.service


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch):
    """Only the explicit URI may point MLflow anywhere."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)


def _client(uri: str):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _assert_in_postgres(uri: str, out: Path) -> None:
    assert uri.startswith("postgresql+psycopg2://")
    assert not (out / "mlflow.db").exists(), "the SQLite store was created despite the URI"


def test_evaluation_run_lands_in_postgres(postgres_uri, trained_models, plant_dir, tmp_path):
    out = tmp_path / "ml_metrics"
    result = api.evaluate("gnn", trained_models["gnn"], plant_dir, out=out, mlflow_uri=postgres_uri)

    _assert_in_postgres(postgres_uri, out)
    client = _client(postgres_uri)
    run = client.get_run(result.published["mlflow"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model_sha256"] == result.model_sha256
    for name, metric in result.metrics.items():
        if math.isfinite(metric.value):
            assert run.data.metrics[name] == pytest.approx(metric.value, rel=1e-12, abs=0)
    stored = {k: v for k, v in run_figures(result).items() if math.isfinite(v)}
    assert set(run.data.metrics) == set(stored)

    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == EXPERIMENTS["gnn"]
    assert (
        experiment.artifact_location
        == (out / "mlruns").resolve().joinpath(EXPERIMENTS["gnn"]).as_uri()
    )
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "evaluation_result.json" in artifacts
    assert list((out / "mlruns").rglob("evaluation_result.json"))


def test_registry_register_and_resolve_in_postgres(postgres_uri, trained_models, tmp_path):
    out = tmp_path / "ml_metrics"
    onnx = trained_models["gnn"]
    info = register_model("gnn", onnx, root=out, uri=postgres_uri, alias="champion")
    resolved = resolve(f"{REGISTERED_NAMES['gnn']}@champion", root=out, uri=postgres_uri)

    _assert_in_postgres(postgres_uri, out)
    assert resolved.version == info.version
    assert "champion" in resolved.aliases
    assert resolved.local_path is not None and resolved.local_path.is_file()
    assert resolved.local_path.is_relative_to(out / "registry_cache")
    assert sha256_of(resolved.local_path) == sha256_of(onnx) == resolved.sha256

    version = _client(postgres_uri).get_model_version_by_alias(REGISTERED_NAMES["gnn"], "champion")
    assert str(version.version) == info.version
    # The champion is what an evaluation without a model uses, through the same URI.
    assert api.champion_path("gnn", out, postgres_uri) == resolved.local_path


def test_monitor_runs_land_in_postgres(postgres_uri, trained_models, plant_dir, tmp_path):
    out = tmp_path / "ml_metrics"
    monitor = Monitor(
        "gnn",
        plant_dir,
        out,
        model=trained_models["gnn"],
        mlflow_uri=postgres_uri,
        recalibrate=False,
    )
    outcomes = monitor.run_once()

    _assert_in_postgres(postgres_uri, out)
    days = sorted(p.stem for p in (plant_dir / "production").glob("day_*.parquet"))
    assert days, "the session's plant has no production windows"
    assert [o.window for o in outcomes] == [f"production/{d}" for d in days]
    assert monitor.pending_windows() == []

    client = _client(postgres_uri)
    for outcome in outcomes:
        run = client.get_run(outcome.result.published["mlflow"])
        assert run.info.status == "FINISHED"
        assert run.data.params["split"] == outcome.window
        assert run.data.metrics["f1_score"] == pytest.approx(
            outcome.result.metrics["f1_score"].value, rel=1e-12, abs=0
        )
        assert "firing_alerts" in run.data.tags  # set after the run, through the same URI
    experiment = client.get_experiment_by_name(EXPERIMENTS["gnn"])
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.run_id for r in runs) == sorted(
        o.result.published["mlflow"] for o in outcomes
    )
