"""The pipeline's entry points: evaluate a model (run, then publish) and train one.

    from glass_metrics import api

    result = api.evaluate("gnn", "models/gnn.onnx", "data", out="ml_metrics")
    print(result.metrics["f1_score"].value, result.metrics["f1_score"].n)

``evaluate`` checks the model against the data before anything is written, so bad input
leaves every sink as it was. Publishing holds a lock on the output folder, so concurrent
evaluations into one folder each land once, in order.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

from glass_metrics.config import DEFAULT_OUT, OutputLayout
from glass_metrics.evaluation import EvaluationResult, evaluate_model, load_model
from glass_metrics.fsutil import exclusive_lock

log = logging.getLogger(__name__)

ALL_SINKS = ("json", "prometheus", "tensorboard", "mlflow")


def evaluate(
    kind: str,
    model: Path | str | bytes | None,
    data: Path | str,
    *,
    split: str = "test",
    out: Path | str = DEFAULT_OUT,
    sinks: Sequence[str] = ALL_SINKS,
    mlflow_uri: str | None = None,
    batch_size: int = 1024,
    progress: bool = False,
) -> EvaluationResult:
    """Evaluate an ONNX ``model`` (path or bytes) of ``kind`` on ``split`` of dataset ``data``.

    ``model=None`` evaluates the registry's ``champion`` of ``kind`` (in ``out``'s store).
    The result is published to ``sinks`` under ``out`` (pass ``sinks=()`` to only compute)
    and returned with its sequence number set.
    """
    loaded = load_model(champion_path(kind, out, mlflow_uri) if model is None else model, kind=kind)
    result = evaluate_model(
        loaded, Path(data), split=split, batch_size=batch_size, progress=progress
    )
    if not sinks:
        return result
    return publish(result, out, sinks=sinks, mlflow_uri=mlflow_uri)


def champion_path(kind: str, out: Path | str, mlflow_uri: str | None = None) -> Path:
    """The verified local ONNX file of the registry's ``champion`` of ``kind`` in ``out``."""
    from glass_metrics.config import REGISTERED_NAMES
    from glass_metrics.registry import resolve

    info = resolve(f"{REGISTERED_NAMES[kind]}@champion", root=Path(out), uri=mlflow_uri)
    assert info.local_path is not None  # resolve() always sets it
    return info.local_path


def publish(
    result: EvaluationResult,
    out: Path | str = DEFAULT_OUT,
    *,
    sinks: Sequence[str] = ALL_SINKS,
    mlflow_uri: str | None = None,
) -> EvaluationResult:
    """Number ``result`` in its history and write it to every sink, one publisher at a time."""
    from glass_metrics.sinks import publish as publish_to_sinks
    from glass_metrics.sinks.summary_json import next_sequence

    root = Path(out)
    with exclusive_lock(OutputLayout(root).lock_file):
        sequence = next_sequence(root, result.experiment, result.split)
        numbered = dataclasses.replace(result, sequence=sequence)
        where = publish_to_sinks(
            numbered, root, mlflow_uri=mlflow_uri, onnx_path=numbered.model_path, sinks=tuple(sinks)
        )
    numbered = dataclasses.replace(numbered, published=dict(where))
    if "mlflow" in where:
        from glass_metrics.registry import record_evaluation

        record_evaluation(numbered, root=root, uri=mlflow_uri, run_id=where["mlflow"])
    log.info("published %s #%d to %s", numbered.experiment, sequence, ", ".join(where))
    return numbered


def train(
    kind: str,
    data_dir: Path | str,
    *,
    onnx_path: Path | str,
    out: Path | str = DEFAULT_OUT,
    epochs: int | None = None,
    seed: int = 0,
    run_name: str | None = None,
    deploy: bool = False,
) -> dict:
    """Train the reference ``kind`` model on ``data_dir`` and export it to ``onnx_path``.

    Needs torch (the ``train`` extra). The exported model is registered as a new version
    of its registered model: ``champion`` when there is none yet or ``deploy`` is true
    (the former champion is then retired), else ``challenger``. Returns the run's summary:
    test figures of the model and its baseline, the ONNX path, the MLflow run id, and the
    registered version.
    """
    from glass_metrics.models.training import train as train_model
    from glass_metrics.registry import promote, register_model, resolve_alias

    report = train_model(
        kind,
        Path(data_dir),
        onnx_path=Path(onnx_path),
        out=Path(out),
        epochs=epochs,
        seed=seed,
        run_name=run_name,
    )
    evaluation = evaluate(kind, onnx_path, data_dir, split="test", sinks=())
    has_champion = resolve_alias(kind, "champion", root=out) is not None
    info = register_model(
        kind,
        onnx_path,
        root=out,
        evaluation=evaluation,
        alias="challenger" if has_champion else "champion",
        description=f"trained by run {report.get('run_name')} on {evaluation.dataset}",
        tags={"training_run_id": str(report.get("mlflow_run_id"))},
    )
    alias = "champion" if deploy or not has_champion else "challenger"
    if deploy and has_champion:
        promote(info.name, info.version, root=out, reason="deployed after training")
    return {**report, "registered_version": f"{info.name}/{info.version} ({alias})"}
