"""The Prometheus textfile: atomic replacement, split groups kept, the state sidecar."""

from __future__ import annotations

import dataclasses
import logging
import math
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from glass_metrics.sinks.prometheus import render_prom, state_path, write_prom
from tests.sinks.sink_results import gnn_result, lstm_result


def _families(path):
    return {f.name: f for f in text_string_to_metric_families(path.read_text())}


def test_write_is_atomic_when_the_rename_fails(tmp_path, monkeypatch):
    path = write_prom(lstm_result(1), tmp_path)
    before = path.read_bytes()
    state_before = state_path(tmp_path, "lstm").read_bytes()

    def refuse(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk went away"):
        write_prom(lstm_result(2), tmp_path)

    assert path.read_bytes() == before
    assert state_path(tmp_path, "lstm").read_bytes() == state_before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, state_path(tmp_path, "lstm").name]
    )


def test_latest_evaluation_replaces_its_own_split_group_only(tmp_path):
    write_prom(gnn_result(1), tmp_path)
    write_prom(gnn_result(1, split="production/day_001"), tmp_path)
    path = write_prom(gnn_result(2), tmp_path)

    samples = _families(path)["gnn_accuracy"].samples
    by_split = {s.labels["split"]: s.value for s in samples}
    assert by_split == {
        "test": gnn_result(2).metrics["accuracy"].value,
        "production": gnn_result(1).metrics["accuracy"].value,
    }


def test_nan_is_written_as_nan(tmp_path):
    path = write_prom(gnn_result(1), tmp_path)
    assert "gnn_mcc{" in path.read_text()
    (sample,) = _families(path)["gnn_mcc"].samples
    assert math.isnan(sample.value)


def test_version_only_on_the_info_gauge(tmp_path):
    write_prom(lstm_result(1), tmp_path)
    path = write_prom(dataclasses.replace(lstm_result(2), model_version="7"), tmp_path)
    families = _families(path)

    (info,) = families["lstm_model_info"].samples
    assert info.labels["version"] == "7"
    assert len(families["lstm_mse"].samples) == 1
    defect = {s.labels["defect"] for s in families["lstm_defect_mse"].samples}
    assert defect == set(lstm_result().breakdowns["defect"])


def test_findings_counted_by_severity(tmp_path):
    path = write_prom(gnn_result(1), tmp_path)
    counts = {
        s.labels["severity"]: s.value for s in _families(path)["gnn_evaluation_findings"].samples
    }
    assert counts == {"error": 1.0, "warning": 1.0, "info": 0.0}


def test_unreadable_sidecar_is_discarded_with_a_warning(tmp_path, caplog):
    state_path(tmp_path, "lstm").write_text("{broken")
    with caplog.at_level(logging.WARNING, logger="glass_metrics.sinks.prometheus"):
        path = write_prom(lstm_result(1), tmp_path)
    assert "discarding unreadable Prometheus state" in caplog.text
    assert {s.labels["split"] for s in _families(path)["lstm_mse"].samples} == {"test"}


def test_empty_state_renders_an_empty_exposition():
    assert render_prom("lstm", {}) == ""
