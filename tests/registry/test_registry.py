"""The registry against a real SQLite MLflow store: register, aliases, resolve, tables."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

from glass_metrics import registry
from glass_metrics.errors import ConfigError, ModelError
from glass_metrics.metrics.types import MetricValue
from tests.registry.synthetic_onnx import gnn_bytes, lstm_bytes, write

LSTM = "glass-defect-lstm"
GNN = "glass-anomaly-gnn"


@dataclass
class FakeEvaluation:
    """The attributes of an ``EvaluationResult`` the registry reads."""

    model_sha256: str
    n_samples: int = 480
    split: str = "test"
    dataset: str = "plant-v1"
    timestamp_iso: str = "2026-12-03T10:00:00.000000Z"
    metrics: dict = field(
        default_factory=lambda: {"mse": MetricValue(0.0123, 480, 0.011, 0.0135, "bootstrap")}
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_register_tags_the_figures_and_the_digest(store, tmp_path):
    data = lstm_bytes(seed=1)
    path = write(tmp_path / "m.onnx", data)

    info = registry.register_model(
        "lstm",
        path,
        root=store,
        evaluation=FakeEvaluation(sha(data)),
        evaluation_run_id="abc123",
        alias="champion",
    )

    assert info.name == LSTM and info.aliases == ("champion",)
    assert info.tags["model_sha256"] == sha(data)
    assert info.tags["metric.mse"] == "0.0123"
    assert info.tags["metric.mse.ci95"] == "[0.011, 0.0135]"
    assert info.tags["n_samples"] == "480" and info.tags["evaluation_run_id"] == "abc123"
    assert "Evaluated on test (480 samples): mse 0.0123" in info.description


def test_an_evaluation_of_another_file_is_refused(store, lstm_file):
    with pytest.raises(ModelError, match="not of the file being registered"):
        registry.register_model("lstm", lstm_file, root=store, evaluation=FakeEvaluation("0" * 64))


def test_a_gnn_file_is_not_registered_as_lstm(store, gnn_file):
    with pytest.raises(ModelError, match="model_kind='gnn'"):
        registry.register_model("lstm", gnn_file, root=store)


def test_resolve_by_alias_version_and_bare_name(store, tmp_path):
    first = registry.register_model(
        "gnn", write(tmp_path / "a.onnx", gnn_bytes(version="1")), root=store, alias="champion"
    )
    data = gnn_bytes(version="2")
    second = registry.register_model(
        "gnn", write(tmp_path / "b.onnx", data), root=store, alias="challenger"
    )

    by_alias = registry.resolve(f"{GNN}@challenger", root=store)
    assert by_alias.version == second.version
    assert by_alias.local_path.read_bytes() == data
    assert registry.resolve(f"{GNN}/{first.version}", root=store).version == first.version
    assert registry.resolve("gnn", root=store).version == first.version


def test_resolve_refuses_an_altered_artifact(store, tmp_path):
    info = registry.register_model("gnn", write(tmp_path / "g.onnx", gnn_bytes()), root=store)
    cached = registry.resolve(info.spec, root=store).local_path
    artifact = store / "mlruns" / "Model_Registry" / info.run_id / "artifacts/model/model.onnx"
    artifact.write_bytes(gnn_bytes(version="tampered"))
    cached.unlink()

    with pytest.raises(ModelError, match="the artifact was altered"):
        registry.resolve(info.spec, root=store)
    assert not cached.exists()


def test_promote_moves_champion_and_retires_the_previous(store, tmp_path):
    old = registry.register_model(
        "lstm", write(tmp_path / "a.onnx", lstm_bytes(seed=2)), root=store, alias="champion"
    )
    new = registry.register_model(
        "lstm", write(tmp_path / "b.onnx", lstm_bytes(seed=3)), root=store, alias="challenger"
    )

    promoted = registry.promote(LSTM, new.version, root=store, reason="better ECE")

    assert promoted.aliases == ("champion",)
    assert promoted.tags["promotion_reason"] == "better ECE"
    retired = registry.get_version(f"{LSTM}/{old.version}", root=store)
    assert retired.aliases == () and retired.tags["replaced_by"] == new.version
    assert registry.get_version(f"{LSTM}@champion", root=store).version == new.version


def test_promote_an_unknown_version_names_it(store):
    with pytest.raises(ModelError, match="has no version '999'"):
        registry.promote(LSTM, 999, root=store)


def test_unknown_alias_and_bad_spec_are_refused(store):
    with pytest.raises(ModelError, match="no version with alias 'challenger'"):
        registry.resolve("nobody-model@challenger", root=store)
    with pytest.raises(ConfigError, match="NAME@ALIAS"):
        registry.parse_spec("glass lstm")
    with pytest.raises(ConfigError, match="alias must be one of"):
        registry.set_alias(LSTM, "production", 1, root=store)


def test_failure_after_creation_leaves_no_version_and_no_alias(store, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    before = {v.version for v in registry.show(GNN, root=store)}

    def unreachable(self, *args, **kwargs):
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", unreachable)
    path = write(tmp_path / "g.onnx", gnn_bytes(version="doomed"))
    with pytest.raises(ConnectionError):
        registry.register_model("gnn", path, root=store, alias="champion")
    monkeypatch.undo()

    after = registry.show(GNN, root=store)
    assert {v.version for v in after} == before
    assert all(v.tags["onnx_version"] != "doomed" for v in after)
    champion = registry.get_version(f"{GNN}@champion", root=store)
    assert champion.version in before


def test_list_and_show_print_readable_tables(store, tmp_path):
    registry.register_model("gnn", write(tmp_path / "g.onnx", gnn_bytes()), root=store)

    listing = registry.format_models(registry.list_models(root=store))
    lines = listing.splitlines()
    assert lines[0].split() == [
        "name",
        "versions",
        "latest",
        "champion",
        "challenger",
        "description",
    ]
    assert any(line.startswith(GNN) for line in lines[2:])

    table = registry.format_show(registry.show(GNN, root=store))
    assert table.splitlines()[1].split()[:3] == ["version", "aliases", "created"]
    champion = registry.get_version(f"{GNN}@champion", root=store).version
    rows = [line.split() for line in table.splitlines()[3:]]
    assert [r[1] for r in rows if r[0] == champion] == ["champion"]
    detail = registry.format_show(registry.show(f"{GNN}@champion", root=store))
    assert "aliases: champion" in detail and "model_sha256" in detail


def test_a_full_disk_while_logging_the_file_creates_no_version(store, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    before = {v.version for v in registry.show(GNN, root=store)}

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(MlflowClient, "log_artifacts", disk_full)
    with pytest.raises(OSError, match="No space left"):
        registry.register_model("gnn", write(tmp_path / "g.onnx", gnn_bytes()), root=store)
    monkeypatch.undo()

    assert {v.version for v in registry.show(GNN, root=store)} == before
