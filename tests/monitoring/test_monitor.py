"""The monitor over real windows: each once, in order, alerts delivered, state across restarts."""

from __future__ import annotations

import json
import shutil

import pytest
from prometheus_client.parser import text_string_to_metric_families

from glass_metrics.cli import main
from glass_metrics.monitoring.monitor import Monitor
from glass_metrics.monitoring.rules import load_rules

pytestmark = pytest.mark.slow

ALWAYS_FIRING = """
evaluation_interval: 1h
repeat_interval: 24h
rules:
  - name: GnnAlwaysChecked
    model: gnn
    metric: gnn_accuracy
    comparison: "<="
    threshold: 1.0
    severity: warning
    annotations: {summary: "accuracy {{ $value }}"}
    actions: [email, slack]
"""


@pytest.fixture
def rules_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(ALWAYS_FIRING)
    return path


def _monitor(trained_models, plant_dir, out, rules_file, **options):
    return Monitor(
        "gnn",
        plant_dir,
        out,
        model=trained_models["gnn"],
        rules=load_rules(rules_file),
        recalibrate=False,
        **options,
    )


def test_each_window_once_in_order_and_across_restarts(
    trained_models, plant_dir, tmp_path, rules_file
):
    out = tmp_path / "ml_metrics"
    first = _monitor(trained_models, plant_dir, out, rules_file).run_once(limit=1)
    rest = _monitor(trained_models, plant_dir, out, rules_file).run_once()
    again = _monitor(trained_models, plant_dir, out, rules_file).run_once()

    days = sorted(p.stem for p in (plant_dir / "production").glob("day_*.parquet"))
    assert [o.window for o in first + rest] == [f"production/{d}" for d in days]
    assert again == []
    history = json.loads((out / "GNN_ONNX_Evaluation_summary.json").read_text())
    assert [e["split"] for e in history["metrics_history"]["production"]] == [
        f"production/{d}" for d in days
    ]


def test_firing_alert_is_queued_once_written_as_gauge_and_tagged(
    trained_models, plant_dir, tmp_path, rules_file
):
    from mlflow.tracking import MlflowClient

    out = tmp_path / "ml_metrics"
    outcomes = _monitor(trained_models, plant_dir, out, rules_file).run_once()

    fired = [e for o in outcomes for e in o.events if e.status == "firing"]
    assert len(fired) == 1, "a still-firing alert is not re-sent within the repeat interval"
    delivered = list((out / "alerts" / "outbox" / "sent").glob("*.json"))
    assert len(delivered) == 1
    assert "GnnAlwaysChecked" in (out / "alerts" / "alerts.log").read_text()

    families = text_string_to_metric_families((out / "alerts.prom").read_text())
    samples = [s for f in families for s in f.samples if s.name == "glass_alert_firing"]
    assert [s.labels["alertname"] for s in samples] == ["GnnAlwaysChecked"]

    run_id = outcomes[-1].result.published["mlflow"]
    run = MlflowClient(f"sqlite:///{out / 'mlflow.db'}").get_run(run_id)
    assert "GnnAlwaysChecked" in run.data.tags["firing_alerts"]


def test_watched_folder_files_are_processed_once(trained_models, plant_dir, tmp_path, rules_file):
    out, watch = tmp_path / "ml_metrics", tmp_path / "incoming"
    watch.mkdir()
    shutil.copy(plant_dir / "production" / "day_001.parquet", watch / "a.parquet")
    assert len(_monitor(trained_models, plant_dir, out, rules_file, watch=watch).run_once()) == 1

    shutil.copy(plant_dir / "production" / "day_002.parquet", watch / "b.parquet")
    outcomes = _monitor(trained_models, plant_dir, out, rules_file, watch=watch).run_once()
    assert [o.window.rsplit("/", 1)[-1] for o in outcomes] == ["b.parquet"]


def test_monitor_cli_prints_one_line_per_window(
    trained_models, plant_dir, tmp_path, rules_file, capsys
):
    out = tmp_path / "ml_metrics"
    code = main(
        [
            "monitor",
            "gnn",
            "--data",
            str(plant_dir),
            "--model",
            str(trained_models["gnn"]),
            "--rules",
            str(rules_file),
            "--out",
            str(out),
            "--no-recalibrate",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("production/day_001: n=")
    assert "[FIRING] GnnAlwaysChecked" in lines[0]


def test_rules_file_with_a_typo_exits_2_naming_valid_metrics(tmp_path, plant_dir, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ALWAYS_FIRING.replace("gnn_accuracy", "gnn_acuracy"))
    code = main(
        [
            "monitor",
            "gnn",
            "--data",
            str(plant_dir),
            "--rules",
            str(bad),
            "--out",
            str(tmp_path / "ml_metrics"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "gnn_acuracy" in err and "gnn_accuracy" in err


def test_a_corrupt_window_is_rejected_once_and_the_rest_processed(
    trained_models, plant_dir, tmp_path, rules_file, capsys
):
    out, watch = tmp_path / "ml_metrics", tmp_path / "incoming"
    watch.mkdir()
    (watch / "a.parquet").write_bytes(b"not parquet at all")
    shutil.copy(plant_dir / "production" / "day_001.parquet", watch / "b.parquet")
    command = [
        "monitor",
        "gnn",
        "--data",
        str(plant_dir),
        "--model",
        str(trained_models["gnn"]),
        "--rules",
        str(rules_file),
        "--out",
        str(out),
        "--watch",
        str(watch),
        "--no-recalibrate",
    ]

    assert main(command) == 1
    captured = capsys.readouterr()
    assert "a.parquet: rejected, not evaluated" in captured.err
    assert "b.parquet: n=" in captured.out

    assert main(command) == 0, "a rejected window is not retried"
    ledger = json.loads((out / "monitor" / "gnn_windows.json").read_text())
    assert "error" in ledger[str((watch / "a.parquet").resolve())]


def test_follow_mode_survives_a_failed_poll_and_retries(
    trained_models, plant_dir, tmp_path, rules_file, monkeypatch
):
    monitor = _monitor(trained_models, plant_dir, tmp_path / "ml_metrics", rules_file)
    real_process, calls = monitor.process, []

    def flaky_process(window):
        calls.append(window)
        if len(calls) == 1:
            raise RuntimeError("tracking server unreachable")
        return real_process(window)

    monkeypatch.setattr(monitor, "process", flaky_process)
    monkeypatch.setattr("glass_metrics.monitoring.monitor.time.sleep", lambda seconds: None)
    polls = iter([False, False, True])
    monitor.run_forever(interval=0, stop=lambda: next(polls))

    assert calls[0] == calls[1] == "production/day_001", "the failed window is retried"
    assert monitor.pending_windows() == []
