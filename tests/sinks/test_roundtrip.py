"""Publish LSTM and GNN results twice, read every sink back with its own reader, compare.

One output folder (and one MLflow SQLite store, slow to create) is shared by the module.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from prometheus_client.parser import text_string_to_metric_families
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from glass_metrics.config import OutputLayout, tracking_uri
from glass_metrics.sinks import SINKS, publish
from glass_metrics.sinks.mlflow_run import _json_ready, run_figures, run_params, write_mlflow
from glass_metrics.sinks.tensorboard import scalar_tags
from tests.sinks.sink_results import gnn_result, lstm_result

KINDS = {"lstm": lstm_result, "gnn": gnn_result}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The folder, the results in publishing order, and where each went."""
    root = tmp_path_factory.mktemp("ml_metrics")
    onnx = root.parent / "model.onnx"
    onnx.write_bytes(b"not really onnx, only bytes to attach")
    runs = []
    for build in KINDS.values():
        for sequence in (1, 2):
            result = build(sequence)
            runs.append((result, publish(result, root, onnx_path=onnx)))
    production = lstm_result(1, split="production/day_001")
    runs.append((production, publish(production, root, sinks=("prometheus", "json"))))
    return root, runs


def _latest(runs, kind, group="test"):
    return [r for r, _ in runs if r.kind == kind and r.split.split("/")[0] == group][-1]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_publish_reports_every_sink_in_order(published):
    root, runs = published
    result, where = runs[0]
    assert list(where) == list(SINKS)
    assert where["json"] == str(OutputLayout(root).summary_json("LSTM_ONNX_Evaluation"))
    assert where["prometheus"] == str(root / "lstm_evaluation.prom")
    assert where["tensorboard"] == str(root / "tensorboard" / "LSTM_ONNX_Evaluation")
    assert list(runs[-1][1]) == ["json", "prometheus"]


@pytest.mark.parametrize("kind", KINDS)
def test_json_summary_holds_each_evaluation(published, kind):
    root, runs = published
    results = [r for r, _ in runs if r.kind == kind]
    summary = json.loads(OutputLayout(root).summary_json(results[0].experiment).read_text())

    assert summary["experiment_name"] == results[0].experiment
    entries = summary["metrics_history"]["test"]
    assert [e["sequence"] for e in entries] == [1, 2]
    for result, entry in zip(results, entries, strict=False):
        for name, m in result.metrics.items():
            assert entry[name] == (None if math.isnan(m.value) else m.value)
            low, high = entry["ci95"][name]
            assert _same(math.nan if low is None else low, m.ci_low)
            assert _same(math.nan if high is None else high, m.ci_high)
        assert entry["n_samples"] == result.n_samples
        assert entry["timestamp"] == result.timestamp_iso
        assert entry["model_version"] == result.model_version
        assert entry["model_sha256"] == result.model_sha256
        assert entry["dataset_sha256"] == result.dataset_sha256
        assert len(entry["findings"]) == len(result.findings)


def test_json_keeps_split_groups_apart(published):
    root, _ = published
    summary = json.loads(OutputLayout(root).summary_json("LSTM_ONNX_Evaluation").read_text())
    assert set(summary["metrics_history"]) == {"test", "production"}
    (entry,) = summary["metrics_history"]["production"]
    assert entry["split"] == "production/day_001"


@pytest.mark.parametrize("kind", KINDS)
def test_tensorboard_scalars_are_the_figures_at_each_step(published, kind):
    root, runs = published
    results = [r for r, w in runs if r.kind == kind and "tensorboard" in w]
    events = EventAccumulator(str(root / "tensorboard" / results[0].experiment), size_guidance={})
    events.Reload()

    assert "test/n_samples" in events.Tags()["scalars"]
    for result in results:
        for tag, value in scalar_tags(result).items():
            (event,) = [e for e in events.Scalars(tag) if e.step == result.sequence]
            assert _same(event.value, float(np.float32(value))), tag
            assert event.wall_time == pytest.approx(result.timestamp.timestamp())


def test_tensorboard_tags_readable_sections(published):
    root, runs = published
    events = EventAccumulator(str(root / "tensorboard" / "LSTM_ONNX_Evaluation"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"test/mse", "test_ci95/mse_low", "test_defect/bubbles/mse"} <= tags


def test_tensorboard_has_gnn_pr_curve(published):
    root, _ = published
    events = EventAccumulator(str(root / "tensorboard" / "GNN_ONNX_Evaluation"), size_guidance={})
    events.Reload()
    assert "test/pr_curve" in events.Tags()["tensors"]
    curves = events.Tensors("test/pr_curve")
    assert [c.step for c in curves] == [1, 2]
    data = np.array(curves[0].tensor_proto.float_val).reshape(6, -1)
    np.testing.assert_allclose(data[4], gnn_result().curves["pr"]["precision"], rtol=1e-6)
    np.testing.assert_allclose(data[5], gnn_result().curves["pr"]["recall"], rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_mlflow_runs_hold_figures_params_tags_artifacts(published, kind):
    root, runs = published
    client = MlflowClient(tracking_uri(root))
    for result, where in ((r, w) for r, w in runs if r.kind == kind and "mlflow" in w):
        run = client.get_run(where["mlflow"])
        figures = run_figures(result)

        assert run.info.status == "FINISHED"
        assert run.info.run_name == f"test-{result.sequence}"
        assert run.data.metrics == {k: v for k, v in figures.items() if math.isfinite(v)}
        assert run.data.params == run_params(result)
        assert run.data.tags["kind"] == kind
        assert run.data.tags["findings"] == str(len(result.findings))
        undefined = sorted(k for k, v in figures.items() if math.isnan(v))
        assert run.data.tags["undefined_metrics"] == ",".join(undefined)
        assert {m.step for m in client.get_metric_history(run.info.run_id, "n_samples")} == {
            result.sequence
        }

        listed = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert listed == {"evaluation_result.json", "model"}
        assert [a.path for a in client.list_artifacts(run.info.run_id, "model")] == [
            "model/model.onnx"
        ]


@pytest.mark.parametrize("index", [1, 3])
def test_mlflow_artifact_is_the_result_json(published, tmp_path, index):
    root, runs = published
    result, where = runs[index]
    client = MlflowClient(tracking_uri(root))
    local = client.download_artifacts(where["mlflow"], "evaluation_result.json", str(tmp_path))
    text = open(local).read()
    assert "NaN" not in text
    assert json.loads(text) == json.loads(json.dumps(_json_ready(result.to_dict())))
    if result.kind == "gnn":
        assert json.loads(text)["curves"]["pr"]["precision"][-1] is None


def test_mlflow_run_fails_visibly(published):
    root, _ = published
    client = MlflowClient(tracking_uri(root))
    result = lstm_result(3)
    missing = root / "no-such-model.onnx"
    with pytest.raises(Exception, match="no-such-model"):
        write_mlflow(result, root, onnx_path=missing)
    (run,) = client.search_runs(
        [client.get_experiment_by_name(result.experiment).experiment_id],
        filter_string="attributes.run_name = 'test-3'",
    )
    assert run.info.status == "FAILED"


def _prom(root, kind):
    text = (root / f"{kind}_evaluation.prom").read_text()
    return text, {f.name: f for f in text_string_to_metric_families(text)}


def _sample(family, **labels):
    (sample,) = [s for s in family.samples if labels.items() <= s.labels.items()]
    return sample


@pytest.mark.parametrize("kind", KINDS)
def test_prometheus_file_shows_latest_figures(published, kind):
    root, runs = published
    result = _latest(runs, kind)
    text, families = _prom(root, kind)
    labels = {"model": result.model_name, "split": "test"}

    for name, m in result.metrics.items():
        assert _same(_sample(families[f"{kind}_{name}"], **labels).value, m.value)
        assert _same(_sample(families[f"{kind}_{name}_ci95_low"], **labels).value, m.ci_low)
    assert _sample(families[f"{kind}_samples"], **labels).value == result.n_samples
    stamp = _sample(families[f"{kind}_last_evaluation_timestamp_seconds"], **labels).value
    assert stamp == result.timestamp.timestamp()

    info = _sample(families[f"{kind}_model_info"], **labels)
    assert info.value == 1
    assert info.labels["version"] == result.model_version
    assert info.labels["sha256"] == result.model_sha256
    for family in families.values():
        assert family.type == "gauge" and family.documentation
        assert f"# HELP {family.name} " in text and f"# TYPE {family.name} gauge" in text
        for sample in family.samples:
            assert sample.timestamp is None
            assert {"model", "split"} <= set(sample.labels)
            assert "version" not in sample.labels or family.name == f"{kind}_model_info"


def test_prometheus_breakdowns_are_labelled(published):
    root, runs = published
    result = _latest(runs, "gnn")
    _, families = _prom(root, "gnn")
    for zone, figures in result.breakdowns["zone"].items():
        sample = _sample(families["gnn_zone_recall"], zone=zone, split="test")
        assert sample.value == figures["recall"].value


def test_prometheus_keeps_every_split_group(published):
    root, runs = published
    _, families = _prom(root, "lstm")
    splits = {s.labels["split"] for s in families["lstm_mse"].samples}
    assert splits == {"test", "production"}
    production = _latest(runs, "lstm", "production")
    assert (
        _sample(families["lstm_mse"], split="production").value == production.metrics["mse"].value
    )


@pytest.mark.parametrize("kind", KINDS)
def test_promtool_accepts_the_file(published, kind):
    root, _ = published
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(
            "promtool not found on PATH: install Debian's prometheus package "
            "(apt-get install -y prometheus) to check the .prom files"
        )
    text = (root / f"{kind}_evaluation.prom").read_bytes()
    assert b"NaN" in text
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=30
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert done.stdout.strip() == b"" and done.stderr.strip() == b""


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_identical_in_all_four(published, kind):
    """The latest test evaluation, read from each sink, gives the same top-level figures."""
    root, runs = published
    result = [r for r, w in runs if r.kind == kind and "mlflow" in w][-1]
    where = [w for r, w in runs if r is result][0]

    summary = json.loads(open(where["json"]).read())["metrics_history"]["test"][-1]
    _, families = _prom(root, kind)
    run = MlflowClient(tracking_uri(root)).get_run(where["mlflow"])
    events = EventAccumulator(where["tensorboard"], size_guidance={})
    events.Reload()

    for name, m in result.metrics.items():
        from_json = math.nan if summary[name] is None else summary[name]
        from_prom = _sample(families[f"{kind}_{name}"], split="test").value
        from_mlflow = run.data.metrics.get(name, math.nan)
        for seen in (from_json, from_prom, from_mlflow):
            assert _same(seen, m.value), name
        if not math.isfinite(m.value):
            # TensorBoard leaves undefined figures out rather than drawing NaN.
            assert f"test/{name}" not in events.Tags()["scalars"], name
            continue
        (event,) = [e for e in events.Scalars(f"test/{name}") if e.step == result.sequence]
        assert _same(event.value, float(np.float32(m.value))), name


def test_mlflow_metrics_logged_in_batches(published, monkeypatch):
    from glass_metrics.sinks import mlflow_run

    root, _ = published
    monkeypatch.setattr(mlflow_run, "BATCH_SIZE", 4)
    result = lstm_result(5)
    run = MlflowClient(tracking_uri(root)).get_run(write_mlflow(result, root))
    assert run.data.metrics == {k: v for k, v in run_figures(result).items() if math.isfinite(v)}
    assert len(run.data.metrics) > 4
