"""The four places an evaluation is written: JSON summary, Prometheus, TensorBoard, MLflow.

Each sink reads only the :class:`~glass_metrics.evaluation.result.EvaluationResult` it is
given, so every figure is identical in all four. :func:`publish` writes one result to the
chosen sinks; numbering the result and locking the output folder is the caller's job
(``glass_metrics.api.publish`` does both).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from glass_metrics.errors import ConfigError
from glass_metrics.evaluation.result import EvaluationResult

log = logging.getLogger(__name__)

# The order sinks are written in: the JSON summary, the record of truth, comes first.
SINKS = ("json", "prometheus", "tensorboard", "mlflow")


def _write(sink: str, result: EvaluationResult, root: Path, mlflow_uri, onnx_path) -> str:
    if sink == "json":
        from glass_metrics.sinks.summary_json import append_summary

        return str(append_summary(result, root))
    if sink == "prometheus":
        from glass_metrics.sinks.prometheus import write_prom

        return str(write_prom(result, root))
    if sink == "tensorboard":
        from glass_metrics.sinks.tensorboard import write_tensorboard

        return str(write_tensorboard(result, root))
    from glass_metrics.sinks.mlflow_run import write_mlflow

    return write_mlflow(result, root, uri=mlflow_uri, onnx_path=onnx_path)


def publish(
    result: EvaluationResult,
    root: Path,
    *,
    mlflow_uri: str | None = None,
    onnx_path: Path | str | None = None,
    sinks: Sequence[str] = SINKS,
) -> dict[str, str]:
    """Write ``result`` to each of ``sinks``; return where each went (a path or a run id).

    ``result.sequence`` must already be set (1 or more). Sinks are written in the order of
    :data:`SINKS` whatever order ``sinks`` lists them in; if one fails, the ones before it
    have been written and the error propagates.
    """
    unknown = [s for s in sinks if s not in SINKS]
    if unknown:
        raise ConfigError(f"sinks must be among {list(SINKS)}, got unknown {unknown!r}")
    if result.sequence < 1:
        raise ValueError(
            f"result.sequence must be set (>= 1) before publishing, got {result.sequence}"
        )

    where: dict[str, str] = {}
    for sink in (s for s in SINKS if s in sinks):
        where[sink] = _write(sink, result, Path(root), mlflow_uri, onnx_path)
        log.info("wrote %s -> %s", sink, where[sink])
    return where
