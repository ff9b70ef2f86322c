"""Publishing real evaluations: the four sinks agree, bad input touches nothing, concurrency."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from glass_metrics import api
from glass_metrics.cli import main
from glass_metrics.config import OutputLayout

pytestmark = pytest.mark.slow


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def published(trained_models, plant_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("published") / "ml_metrics"
    results = {}
    for kind in ("lstm", "gnn"):
        api.evaluate(kind, trained_models[kind], plant_dir, out=out)
        results[kind] = api.evaluate(kind, trained_models[kind], plant_dir, out=out)
    return out, results


def test_second_evaluation_is_numbered_two(published):
    _, results = published
    assert results["lstm"].sequence == 2
    assert results["gnn"].sequence == 2


def test_every_sink_holds_the_same_figures(published):
    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, results = published
    layout = OutputLayout(out)
    for kind, result in results.items():
        entry = json.loads(layout.summary_json(result.experiment).read_text())
        entry = entry["metrics_history"]["test"][-1]
        prom = {
            s.name: s.value
            for family in text_string_to_metric_families(layout.prom_file(kind).read_text())
            for s in family.samples
            if not s.labels.keys() - {"model", "split"}
        }
        run = MlflowClient(f"sqlite:///{layout.mlflow_db}").search_runs(
            [
                MlflowClient(f"sqlite:///{layout.mlflow_db}")
                .get_experiment_by_name(result.experiment)
                .experiment_id
            ],
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )[0]
        events = EventAccumulator(str(layout.evaluation_logdir(result.experiment)))
        events.Reload()

        for name, metric in result.metrics.items():
            if not math.isfinite(metric.value):
                continue
            assert entry[name] == metric.value, name
            assert prom[f"{kind}_{name}"] == metric.value, name
            assert run.data.metrics[name] == metric.value, name
            scalars = {e.step: e.value for e in events.Scalars(f"test/{name}")}
            assert scalars[2] == pytest.approx(metric.value, rel=1e-6), name
        assert entry["n_samples"] == result.n_samples == prom[f"{kind}_samples"]


def test_promtool_accepts_the_textfiles(published):
    out, _ = published
    for kind in ("lstm", "gnn"):
        text = OutputLayout(out).prom_file(kind).read_bytes()
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_check_passes_on_published_output(published, capsys):
    out, _ = published
    assert main(["check", str(out)]) == 0
    assert "0 errors" in capsys.readouterr().out


def test_bad_model_leaves_every_sink_untouched(published, trained_models, plant_dir, capsys):
    out, _ = published
    before = _tree_digest(out)
    code = main(
        [
            "evaluate",
            "lstm",
            "--model",
            str(trained_models["gnn"]),
            "--data",
            str(plant_dir),
            "--out",
            str(out),
        ]
    )
    assert code == 2
    assert "model_kind='gnn'" in capsys.readouterr().err
    assert _tree_digest(out) == before


def _evaluate_command(kind, model, data, out):
    return [
        sys.executable,
        "-m",
        "glass_metrics.cli",
        "-q",
        "evaluate",
        kind,
        "--model",
        str(model),
        "--data",
        str(data),
        "--out",
        str(out),
    ]


def test_concurrent_evaluations_both_land_once(trained_models, plant_dir, tmp_path):
    out = tmp_path / "ml_metrics"
    procs = [
        subprocess.Popen(_evaluate_command("gnn", trained_models["gnn"], plant_dir, out))
        for _ in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    history = json.loads(OutputLayout(out).summary_json("GNN_ONNX_Evaluation").read_text())
    assert sorted(e["sequence"] for e in history["metrics_history"]["test"]) == [1, 2]


def test_killed_evaluation_leaves_no_truncated_file(trained_models, plant_dir, tmp_path):
    out = tmp_path / "ml_metrics"
    api.evaluate("gnn", trained_models["gnn"], plant_dir, out=out, sinks=("json", "prometheus"))
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        proc = subprocess.Popen(_evaluate_command("gnn", trained_models["gnn"], plant_dir, out))
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        layout = OutputLayout(out)
        json.loads(layout.summary_json("GNN_ONNX_Evaluation").read_text())
        families = list(text_string_to_metric_families(layout.prom_file("gnn").read_text()))
        assert any(f.name == "gnn_f1_score" for f in families)
