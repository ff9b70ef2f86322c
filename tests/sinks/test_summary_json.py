"""The JSON summary: append-only history, split groups, sequence numbers, corrupt files."""

from __future__ import annotations

import json
import math

import pytest

from glass_metrics.errors import DataError
from glass_metrics.sinks import publish
from glass_metrics.sinks.summary_json import (
    SummaryCorruptError,
    append_summary,
    next_sequence,
    read_summary,
    split_group,
)
from tests.sinks.sink_results import gnn_result, lstm_result


def test_split_group_is_the_part_before_the_slash():
    assert split_group("test") == "test"
    assert split_group("production/day_003") == "production"


def test_entry_has_the_spec_schema(tmp_path):
    result = gnn_result(1)
    path = append_summary(result, tmp_path)
    summary = read_summary(path)

    assert path.name == "GNN_ONNX_Evaluation_summary.json"
    assert summary["experiment_name"] == "GNN_ONNX_Evaluation"
    (entry,) = summary["metrics_history"]["test"]
    assert entry["accuracy"] == result.metrics["accuracy"].value
    assert entry["mcc"] is None
    assert entry["ci95"]["accuracy"] == [
        result.metrics["accuracy"].ci_low,
        result.metrics["accuracy"].ci_high,
    ]
    assert entry["ci95"]["mcc"] == [None, None]
    assert entry["timestamp"].endswith("Z")
    assert entry["breakdowns"]["zone"]["furnace"] == {
        "recall": result.breakdowns["zone"]["furnace"]["recall"].value
    }
    assert [f["code"] for f in entry["findings"]] == ["undefined-metric", "ratio-out-of-range"]
    assert "NaN" not in path.read_text()


def test_earlier_entries_are_never_rewritten(tmp_path):
    path = append_summary(lstm_result(1), tmp_path)
    append_summary(lstm_result(2), tmp_path)
    before = [json.dumps(e) for e in read_summary(path)["metrics_history"]["test"]]

    append_summary(lstm_result(3), tmp_path)
    after = [json.dumps(e) for e in read_summary(path)["metrics_history"]["test"]]

    assert after[:2] == before
    assert [json.loads(e)["sequence"] for e in after] == [1, 2, 3]


def test_next_sequence_counts_each_split_group(tmp_path):
    experiment = "LSTM_ONNX_Evaluation"
    assert next_sequence(tmp_path, experiment, "test") == 1

    append_summary(lstm_result(1), tmp_path)
    append_summary(lstm_result(1, split="production/day_001"), tmp_path)
    append_summary(lstm_result(2, split="production/day_002"), tmp_path)

    assert next_sequence(tmp_path, experiment, "test") == 2
    assert next_sequence(tmp_path, experiment, "production/day_003") == 3
    assert next_sequence(tmp_path, "GNN_ONNX_Evaluation", "test") == 1


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'{"experiment_name": "LSTM_ONNX_Evaluation", "metrics_hist', "not valid JSON"),
        (b"[1, 2]", "experiment_name"),
        (b'{"experiment_name": "LSTM_ONNX_Evaluation"}', "metrics_history"),
        (
            b'{"experiment_name": "LSTM_ONNX_Evaluation", "metrics_history": {"test": 3}}',
            "metrics_history.test",
        ),
        (b'{"experiment_name": "GNN_ONNX_Evaluation", "metrics_history": {}}', "expected"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
    ],
)
def test_corrupt_summary_raises_and_is_left_untouched(tmp_path, content, reason):
    path = tmp_path / "LSTM_ONNX_Evaluation_summary.json"
    path.write_bytes(content)

    with pytest.raises(SummaryCorruptError, match=reason) as caught:
        append_summary(lstm_result(1), tmp_path)

    assert str(path) in str(caught.value)
    assert isinstance(caught.value, DataError)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_corrupt_summary_stops_publish_before_any_other_sink(tmp_path):
    path = tmp_path / "LSTM_ONNX_Evaluation_summary.json"
    path.write_bytes(b"{truncated")

    with pytest.raises(SummaryCorruptError):
        publish(lstm_result(1), tmp_path, sinks=("prometheus", "json", "tensorboard"))

    assert path.read_bytes() == b"{truncated"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_next_sequence_refuses_a_corrupt_summary(tmp_path):
    (tmp_path / "GNN_ONNX_Evaluation_summary.json").write_text("nope")
    with pytest.raises(SummaryCorruptError, match="GNN_ONNX_Evaluation_summary.json"):
        next_sequence(tmp_path, "GNN_ONNX_Evaluation", "test")


def test_values_round_trip_exactly(tmp_path):
    result = lstm_result(1)
    path = append_summary(result, tmp_path)
    (entry,) = read_summary(path)["metrics_history"]["test"]
    for name, m in result.metrics.items():
        assert entry[name] == m.value or (entry[name] is None and math.isnan(m.value))
