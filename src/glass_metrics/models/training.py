"""Training the reference models on a simulated dataset, recording it, and exporting ONNX.

:func:`train` reads the dataset's train, validation and test splits, trains the LSTM or the
GCN on the CPU, logs every epoch through :class:`~glass_metrics.sinks.training_log.
TrainingLogger` (TensorBoard and the MLflow experiment ``LSTM_Training`` / ``GNN_Training``),
keeps the weights of the epoch with the lowest validation loss, scores them and a baseline on
the test split, and writes the ONNX model atomically as its last step. A run that fails leaves
no ONNX file at the target (an older one stays untouched) and its MLflow run ends FAILED.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn

from glass_metrics.config import DEFAULT_OUT, REGISTERED_NAMES
from glass_metrics.errors import ModelError
from glass_metrics.models import export
from glass_metrics.models.baselines import RidgeBaseline, ZScoreBaseline, f1_score, r2_scores
from glass_metrics.models.gnn import EDGE_KINDS, AnomalyGCN, normalised_adjacency
from glass_metrics.models.lstm import DefectLSTM
from glass_metrics.plant import datasets
from glass_metrics.sinks.training_log import TrainingLogger

log = logging.getLogger(__name__)

DEFAULTS = {
    "lstm": {
        "epochs": 20,
        "hidden": 32,
        "learning_rate": 5e-3,
        "batch_size": 128,
        "weight_decay": 1e-5,
    },
    "gnn": {
        "epochs": 25,
        "hidden": 32,
        "learning_rate": 4e-3,
        "batch_size": 128,
        "weight_decay": 1e-5,
    },
}
IO_NAMES = {
    "lstm": ("sensor_window", ("defect_probability", "defect_logit")),
    "gnn": ("node_features", ("anomaly_probability", "anomaly_logit")),
}
DECISION_THRESHOLD = 0.5
# These models are small: one thread beats two, which mostly wait on each other.
THREADS = 1


def train(
    kind: str,
    data_dir: Path,
    *,
    onnx_path: Path,
    out: Path = DEFAULT_OUT,
    epochs: int | None = None,
    seed: int = 0,
    run_name: str | None = None,
    overrides: dict | None = None,
) -> dict[str, float | str]:
    """Train model ``kind`` (``"lstm"`` or ``"gnn"``) and export it to ``onnx_path``.

    ``overrides`` replaces hyperparameters of :data:`DEFAULTS` (tests use tiny models).
    Returns the test figures of the model and its baseline, the ONNX path, the MLflow run id
    and the seconds taken. Raises ``DataError`` for a bad dataset, ``ModelError`` for an
    unknown kind or an export that ONNX Runtime does not reproduce.
    """
    if kind not in DEFAULTS:
        raise ModelError(f"unknown model kind {kind!r}; expected one of {sorted(DEFAULTS)}")
    started = time.perf_counter()
    hyper = {**DEFAULTS[kind], **(overrides or {})}
    if epochs is not None:
        hyper["epochs"] = int(epochs)

    with _torch_settings():
        return _train(
            kind, Path(data_dir), Path(onnx_path), Path(out), hyper, seed, run_name, started
        )


@contextlib.contextmanager
def _torch_settings():
    """Thread count and denormal flushing for training, restored afterwards.

    Both are process-wide: left set, flush-to-zero would change every later floating-point
    computation of the caller's process, not only torch's.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    # Tiny activations otherwise become denormal floats, which slow the CPU tenfold.
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)


def _train(kind, data_dir, onnx_path, out, hyper, seed, run_name, started) -> dict:
    torch.manual_seed(seed)
    manifest = datasets.load_manifest(data_dir)
    frames = {
        split: datasets.load_frame(datasets.split_path(data_dir, split), manifest)
        for split in datasets.SPLITS
    }
    task = (_lstm_task if kind == "lstm" else _gnn_task)(frames, manifest, hyper)

    params = {
        **hyper,
        "seed": seed,
        "data_seed": manifest["seed"],
        "scenario": manifest["scenario"],
        "data_dir": str(Path(data_dir).resolve()),
        "train_samples": len(task.train[0]),
        "n_sensors": len(manifest["sensors"]),
    }
    with TrainingLogger(kind, out=out, run_name=run_name, params=params) as logger:
        report = _run(kind, task, hyper, manifest, logger, onnx_path, seed)
        report["seconds"] = round(time.perf_counter() - started, 2)
        logger.log_metrics({"training_seconds": report["seconds"]})
    log.info("trained %s in %.1f s: %s", kind, report["seconds"], report)
    return report


class _Task:
    """What differs between the two models: data, network, loss, scores, baseline."""

    def __init__(
        self,
        *,
        train,
        validation,
        test,
        model: nn.Module,
        scores: Callable[[np.ndarray, np.ndarray], dict[str, float]],
        baseline: dict[str, float],
        metadata: dict[str, str],
        test_name: str,
    ):
        self.train, self.validation, self.test = train, validation, test
        self.model, self.scores, self.baseline = model, scores, baseline
        self.metadata, self.test_name = metadata, test_name


def _lstm_task(frames, manifest, hyper) -> _Task:
    window = int(manifest["lstm_window"])
    arrays = {
        split: datasets.lstm_arrays(frame, manifest, window=window)
        for split, frame in frames.items()
    }
    x_train, y_train = arrays["train"]
    flat = x_train[:, -1]
    model = DefectLSTM(
        flat.mean(axis=0), flat.std(axis=0) + 1e-6, y_train.shape[1], hidden=hyper["hidden"]
    )
    _initial_bias(cast(nn.Linear, model.head[-1]), y_train.mean(axis=0))

    ridge = RidgeBaseline.fit(x_train, y_train)
    baseline_r2 = r2_scores(arrays["test"][1], ridge.predict(arrays["test"][0]))
    metadata = {
        "window": str(window),
        "defect_names": json.dumps(manifest["defects"]),
        "input_schema": export.schema(
            "sensor_window",
            ["batch", window, len(manifest["sensors"])],
            datasets.sensor_names(manifest),
        ),
    }
    return _Task(
        train=arrays["train"],
        validation=arrays["validation"],
        test=arrays["test"],
        model=model,
        scores=_regression_scores,
        baseline={"baseline_test_r2_score": float(np.nanmean(baseline_r2))},
        metadata=metadata,
        test_name="r2_score",
    )


def _gnn_task(frames, manifest, hyper) -> _Task:
    arrays = {split: datasets.gnn_arrays(frame, manifest) for split, frame in frames.items()}
    # Normalise by healthy rows only: a stuck sensor's spread would otherwise set the scale.
    healthy = arrays["train"].x[arrays["train"].y == 0]
    names = datasets.sensor_names(manifest)
    adjacency = [normalised_adjacency(names, manifest["edges"], kind) for kind in EDGE_KINDS]
    model = AnomalyGCN(*_node_scaling(healthy), adjacency, hidden=hyper["hidden"])

    zscore = ZScoreBaseline.fit(healthy[:, :, 0])
    zscore = zscore.tuned(arrays["validation"].x[:, :, 0], arrays["validation"].y)
    test = arrays["test"]
    baseline_f1 = f1_score(test.y, zscore.predict(test.x[:, :, 0]))
    metadata = {
        "feature_names": json.dumps(list(datasets.NODE_FEATURES)),
        "decision_threshold": str(DECISION_THRESHOLD),
        "defect_names": json.dumps(manifest["defects"]),
        "gnn_warmup": str(datasets.gnn_warmup(manifest)),
        "input_schema": export.schema(
            "node_features", ["batch", len(names), len(datasets.NODE_FEATURES)], names
        ),
    }
    split = {key: (value.x, value.y.astype(np.float32)) for key, value in arrays.items()}
    return _Task(
        train=split["train"],
        validation=split["validation"],
        test=split["test"],
        model=model,
        scores=_classification_scores,
        baseline={
            "baseline_test_f1_score": baseline_f1,
            "baseline_threshold_sigma": zscore.threshold,
        },
        metadata=metadata,
        test_name="f1_score",
    )


def _node_scaling(healthy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sensor, per-feature mean and scale; ``flat_fraction`` stays as it is, in [0, 1]."""
    mean, std = healthy.mean(axis=0), healthy.std(axis=0) + 1e-6
    flat = datasets.NODE_FEATURES.index("flat_fraction")
    mean[:, flat], std[:, flat] = 0.0, 1.0
    return mean, std


def _initial_bias(layer: nn.Linear, rates: np.ndarray) -> None:
    """Start the output at the mean defect rates, so early epochs are not spent finding them."""
    rates = np.clip(rates, 1e-4, 1 - 1e-4)
    with torch.no_grad():
        layer.bias.copy_(torch.as_tensor(np.log(rates / (1 - rates)), dtype=torch.float32))


def _regression_scores(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    return {
        "r2_score": float(np.nanmean(r2_scores(y_true, probability))),
        "mae": float(np.mean(np.abs(y_true - probability))),
        "mse": float(np.mean((y_true - probability) ** 2)),
    }


def _classification_scores(
    y_true: np.ndarray, probability: np.ndarray, *, threshold: float = DECISION_THRESHOLD
) -> dict[str, float]:
    predicted = probability >= threshold
    return {
        "f1_score": f1_score(y_true, predicted),
        "accuracy": float(np.mean(predicted == y_true.astype(bool))),
    }


def _run(
    kind, task: _Task, hyper, manifest, logger: TrainingLogger, onnx_path: Path, seed: int
) -> dict:
    _fit(task, hyper, logger, seed)

    x_test, y_test = task.test
    probability, logit = predict(task.model, x_test)
    scores = task.scores(y_test, probability)
    if kind == "gnn":
        threshold = _tune_threshold(task)
        task.metadata["decision_threshold"] = str(threshold)
        scores = {
            **_classification_scores(y_test, probability, threshold=threshold),
            "decision_threshold": threshold,
        }
    test = {f"test_{name}": value for name, value in scores.items()}
    if kind == "lstm":
        per_defect = r2_scores(y_test, probability)
        test.update(
            {f"test_r2_{d}": float(v) for d, v in zip(manifest["defects"], per_defect, strict=True)}
        )
    logger.log_metrics({**test, **task.baseline})

    metadata = _metadata(kind, task, manifest, str(logger.run_id))
    input_name, output_names = IO_NAMES[kind]
    data = export.to_onnx(
        task.model,
        torch.from_numpy(x_test[:2]),
        input_name=input_name,
        output_names=output_names,
        metadata=metadata,
    )
    difference = export.verify(data, x_test, [probability, logit])
    logger.log_metrics({"onnx_max_abs_diff": difference})

    export.write(onnx_path, data)
    logger.log_artifact(onnx_path, "onnx")
    logger.set_tags({"onnx_path": str(onnx_path.resolve()), "version": metadata["version"]})
    return {
        "model": REGISTERED_NAMES[kind],
        **test,
        **task.baseline,
        "onnx_max_abs_diff": difference,
        "onnx": str(onnx_path),
        "mlflow_run_id": logger.run_id,
        "run_name": logger.run_name,
    }


def _tune_threshold(task: _Task) -> float:
    """The decision threshold with the best F1 on the validation split.

    Only thresholds that flag some rows, and at most twice the share of anomalous rows, are
    candidates, so an undertrained model does not get a "flag everything" threshold.
    """
    x, y = task.validation
    probability, _ = predict(task.model, x)
    candidates = [
        t
        for t in np.round(np.arange(0.1, 0.91, 0.05), 2)
        if 0.0 < np.mean(probability >= t) < min(0.99, 2 * np.mean(y))
    ]
    if not candidates:
        return DECISION_THRESHOLD
    f1 = [np.nan_to_num(f1_score(y, probability >= t)) for t in candidates]
    best = float(candidates[int(np.argmax(f1))])
    return best if max(f1) > np.nan_to_num(f1_score(y, probability >= 0.5)) else 0.5


def _metadata(kind: str, task: _Task, manifest: dict, run_id: str) -> dict[str, str]:
    return {
        "model_name": REGISTERED_NAMES[kind],
        "model_kind": kind,
        "version": run_id[:8],
        "training_run_id": run_id,
        "sensor_names": json.dumps(datasets.sensor_names(manifest)),
        "data_seed": str(manifest["seed"]),
        "scenario": str(manifest["scenario"]),
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **task.metadata,
    }


def predict(model: nn.Module, x: np.ndarray, *, batch_size: int = 4096):
    """``(probability, logit)`` of ``model`` on ``x`` as numpy arrays, in eval mode."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            probability, logit = model(torch.from_numpy(x[start : start + batch_size]))
            outputs.append((probability.numpy(), logit.numpy()))
    return tuple(np.concatenate(part) for part in zip(*outputs, strict=True))


def _fit(task: _Task, hyper: dict, logger: TrainingLogger, seed: int) -> None:
    """Adam with cosine decay; the weights of the epoch with the lowest validation loss stay."""
    model, epochs = task.model, int(hyper["epochs"])
    optimiser = torch.optim.Adam(
        model.parameters(), lr=hyper["learning_rate"], weight_decay=hyper["weight_decay"]
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimiser, T_max=max(epochs, 1), eta_min=hyper["learning_rate"] * 0.05
    )
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(seed)
    best_loss, best_state = float("inf"), copy.deepcopy(model.state_dict())

    for epoch in range(1, epochs + 1):
        lr = optimiser.param_groups[0]["lr"]
        train_loss, train_scores = _epoch(task, optimiser, loss_fn, hyper["batch_size"], generator)
        schedule.step()
        val_loss, val_scores = _validate(task, loss_fn)
        logger.log_epoch(
            epoch,
            {
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": lr,
                **{f"train_{k}": v for k, v in train_scores.items()},
                **{f"val_{k}": v for k, v in val_scores.items()},
            },
        )
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    logger.log_metrics({"best_val_loss": best_loss})


def _epoch(task: _Task, optimiser, loss_fn, batch_size: int, generator):
    model = task.model
    model.train()
    x, y = (torch.from_numpy(a) for a in task.train)
    order = torch.randperm(len(x), generator=generator)
    total, probabilities = 0.0, torch.empty_like(y)
    for start in range(0, len(x), batch_size):
        rows = order[start : start + batch_size]
        probability, logit = model(x[rows])
        loss = loss_fn(logit, y[rows])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += float(loss.detach()) * len(rows)
        probabilities[rows] = probability.detach()
    return total / len(x), task.scores(task.train[1], probabilities.numpy())


def _validate(task: _Task, loss_fn):
    x, y = task.validation
    probability, logit = predict(task.model, x)
    loss = float(loss_fn(torch.from_numpy(logit), torch.from_numpy(y)))
    return loss, task.scores(y, probability)
