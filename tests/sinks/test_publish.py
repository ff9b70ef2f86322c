"""publish(): which sinks, in which order, and refusing what it cannot do."""

from __future__ import annotations

import logging

import pytest

from glass_metrics.errors import ConfigError
from glass_metrics.sinks import publish
from tests.sinks.sink_results import lstm_result, renumbered


def test_unknown_sink_is_refused_naming_the_allowed_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"sinks must be among .*'grafana'"):
        publish(lstm_result(1), tmp_path, sinks=("json", "grafana"))
    assert list(tmp_path.iterdir()) == []


def test_unnumbered_result_is_refused(tmp_path):
    with pytest.raises(ValueError, match="sequence must be set"):
        publish(renumbered(lstm_result(1), 0), tmp_path, sinks=("json",))


def test_sinks_written_in_fixed_order_and_logged(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="glass_metrics.sinks"):
        where = publish(lstm_result(1), tmp_path, sinks=("tensorboard", "prometheus", "json"))
    assert list(where) == ["json", "prometheus", "tensorboard"]
    messages = [r.getMessage() for r in caplog.records if r.name == "glass_metrics.sinks"]
    assert messages == [f"wrote {sink} -> {where[sink]}" for sink in where]
