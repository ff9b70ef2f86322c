"""Trained models land in the registry; evaluations tag the version they evaluated."""

from __future__ import annotations

import pytest

from glass_metrics import api, registry
from glass_metrics.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def registered(plant_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("registered") / "ml_metrics"
    onnx = out.parent / "gnn.onnx"
    first = api.train("gnn", plant_dir, onnx_path=onnx, out=out, epochs=1)
    second = api.train(
        "gnn", plant_dir, onnx_path=out.parent / "gnn2.onnx", out=out, epochs=1, seed=1
    )
    return out, onnx, first, second


def test_first_model_is_champion_next_is_challenger(registered):
    out, _, first, second = registered
    assert first["registered_version"] == "glass-anomaly-gnn/1 (champion)"
    assert second["registered_version"] == "glass-anomaly-gnn/2 (challenger)"
    champion = registry.get_version("glass-anomaly-gnn@champion", root=out)
    assert champion.version == "1"
    assert champion.tags["training_run_id"] == first["mlflow_run_id"]
    assert float(champion.tags["metric.f1_score"]) >= 0.0


def test_evaluation_tags_the_version_it_evaluated(registered, plant_dir):
    out, onnx, _, _ = registered
    result = api.evaluate("gnn", onnx, plant_dir, out=out)
    version = registry.get_version("glass-anomaly-gnn/1", root=out)
    assert version.tags["evaluation_run_id"] == result.published["mlflow"]
    assert version.tags["metric.accuracy"] == f"{result.metrics['accuracy'].value:.6g}"
    untouched = registry.get_version("glass-anomaly-gnn/2", root=out)
    assert untouched.tags.get("evaluation_run_id") != result.published["mlflow"]


def test_evaluate_without_a_model_uses_the_champion(registered, plant_dir, capsys):
    out, onnx, _, _ = registered
    assert main(["evaluate", "gnn", "--data", str(plant_dir), "--out", str(out)]) == 0
    champion = registry.get_version("glass-anomaly-gnn@champion", root=out)
    assert f"v{champion.tags['onnx_version']}" in capsys.readouterr().out


def test_evaluate_without_a_champion_names_the_alias(plant_dir, tmp_path, capsys):
    code = main(["evaluate", "lstm", "--data", str(plant_dir), "--out", str(tmp_path / "m")])
    assert code == 2
    assert "champion" in capsys.readouterr().err


def test_deploying_moves_the_champion(registered, plant_dir):
    out, _, _, _ = registered
    report = api.train(
        "gnn", plant_dir, onnx_path=out.parent / "gnn3.onnx", out=out, epochs=1, deploy=True
    )
    assert report["registered_version"] == "glass-anomaly-gnn/3 (champion)"
    assert registry.get_version("glass-anomaly-gnn@champion", root=out).version == "3"
    assert "replaced_by" in registry.get_version("glass-anomaly-gnn/1", root=out).tags


def test_registry_cli_lists_shows_and_promotes(registered, capsys):
    out = registered[0]
    assert main(["registry", "--out", str(out), "list"]) == 0
    assert "glass-anomaly-gnn" in capsys.readouterr().out

    assert main(["registry", "--out", str(out), "promote", "glass-anomaly-gnn", "2"]) == 0
    capsys.readouterr()
    assert main(["registry", "--out", str(out), "show", "glass-anomaly-gnn@champion"]) == 0
    assert capsys.readouterr().out.startswith("glass-anomaly-gnn/2")

    assert main(["registry", "--out", str(out), "promote", "glass-anomaly-gnn", "99"]) == 2
    assert "no version '99'" in capsys.readouterr().err
    assert registry.get_version("glass-anomaly-gnn@champion", root=out).version == "2"


def test_recalibrate_cli_registers_a_version_with_its_decision(
    trained_models, plant_dir, tmp_path, capsys
):
    out = tmp_path / "ml_metrics"
    code = main(
        [
            "recalibrate",
            "lstm",
            "--data",
            str(plant_dir),
            "--model",
            str(trained_models["lstm"]),
            "--window",
            "production/day_001..day_002",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "recalibrated" in text and "reason:" in text
    (version,) = registry.show("glass-defect-lstm", root=out)
    assert version.tags["decision"] in {"promoted to champion", "kept as challenger"}


def test_recalibrate_cli_refuses_a_window_too_small(trained_models, plant_dir, tmp_path, capsys):
    code = main(
        [
            "recalibrate",
            "lstm",
            "--data",
            str(plant_dir),
            "--model",
            str(trained_models["lstm"]),
            "--window",
            "production/day_001",
            "--out",
            str(tmp_path / "ml_metrics"),
        ]
    )
    assert code == 2
    assert "fewer than the 500 needed" in capsys.readouterr().err
