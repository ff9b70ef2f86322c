"""``recalibrate``: fit on a recent labelled window, build the calibrated ONNX, register it.

The new version is registered as ``challenger`` with its before/after figures and the
decision as tags; it is promoted to ``champion`` only when :func:`.fitting.decide` finds it
better on the newer part of the window by more than the margin beyond the figures'
uncertainty. Otherwise the reason is recorded on the version (tag ``decision_reason`` and
its description).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glass_metrics import registry
from glass_metrics.config import REGISTERED_NAMES
from glass_metrics.errors import ConfigError, ModelError
from glass_metrics.fsutil import atomic_write_bytes
from glass_metrics.recalibration import fitting, judge
from glass_metrics.recalibration.calibrators import PlattParams, ThresholdParams, sigmoid
from glass_metrics.recalibration.window import expand_windows, load_window

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecalibrationReport:
    """What one recalibration did: the figures, the decision, and the version it registered.

    ``recovered`` gives, per figure, the fraction of what the model lost since the reference
    split (``test``) that the calibration won back on the judge part (``None`` when nothing
    was lost).
    """

    kind: str
    model_name: str
    parent_version: str
    windows: tuple[str, ...]
    n_fit: int
    n_judge: int
    params: dict[str, Any]
    comparisons: tuple[judge.Comparison, ...]
    promoted: bool
    reason: str
    onnx_path: Path
    version: str | None = None
    reference: dict[str, float] = field(default_factory=dict)
    recovered: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model_name": self.model_name,
            "parent_version": self.parent_version,
            "windows": list(self.windows),
            "n_fit": self.n_fit,
            "n_judge": self.n_judge,
            "params": self.params,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "promoted": self.promoted,
            "reason": self.reason,
            "onnx_path": str(self.onnx_path),
            "version": self.version,
            "reference": self.reference,
            "recovered": self.recovered,
        }

    def format(self) -> str:
        """A few readable lines for the CLI and the demo."""
        decision = "promoted to champion" if self.promoted else "kept as challenger"
        if self.version is None:
            decision = "would be " + ("promoted to champion" if self.promoted else "challenger")
        lines = [
            f"{self.model_name}: recalibrated {self.parent_version} on "
            f"{_describe_window(self.windows)}"
            f" ({self.n_fit} samples fitted, {self.n_judge} judged)",
            f"new version {self.version or '(not registered)'}: {decision}",
        ]
        for c in self.comparisons:
            lost = self.recovered.get(c.metric)
            extra = f", recovers {lost:.0%} of the loss since reference" if lost is not None else ""
            lines.append(f"  {c.describe()}{extra}")
        lines.append(f"reason: {self.reason}")
        return "\n".join(lines)


def recalibrate(
    kind: str,
    model_path: Path | str | None,
    data_dir: Path | str,
    *,
    windows: list[str],
    root: Path | str,
    uri: str | None = None,
    min_window: int | None = None,
    margin: float = fitting.DEFAULT_MARGIN,
    fit_fraction: float = 0.5,
    target_recall: float | None = None,
    reference_split: str | None = "test",
    params: PlattParams | ThresholdParams | None = None,
    register: bool = True,
    n_boot: int = 400,
) -> RecalibrationReport:
    """Recalibrate the ``kind`` model at ``model_path`` (``None``: the registry's champion).

    ``windows`` are split names of ``data_dir`` (``production/day_005..day_007`` ranges
    allowed), concatenated in time order. Raises ``DataError`` naming the minimum when the
    window is too small. ``params`` skips the fit and judges the given calibration.
    """
    if kind not in REGISTERED_NAMES:
        raise ConfigError(f"model kind must be one of {sorted(REGISTERED_NAMES)}, got {kind!r}")
    root, name = Path(root), REGISTERED_NAMES[kind]
    path = _parent_model(kind, model_path, root, uri)
    model_bytes = path.read_bytes()
    meta = fitting.metadata(model_bytes)
    lstm_window = int(meta["window"]) if kind == "lstm" and "window" in meta else None

    splits = expand_windows(list(windows))
    window = load_window(kind, Path(data_dir), splits, lstm_window=lstm_window)
    outcome = fitting.recalibrate_arrays(
        kind,
        model_bytes,
        window.x,
        window.y,
        source=_describe_window(window.splits),
        min_window=min_window,
        fit_fraction=fit_fraction,
        margin=margin,
        target_recall=target_recall,
        params=params,
        block=max(24, lstm_window or 0),
        n_boot=n_boot,
        extra={"windows": list(window.splits)},
    )
    reference = _reference(kind, model_bytes, meta, Path(data_dir), reference_split, lstm_window)
    recovered = _recovered(outcome.comparisons, reference)
    reason = _explain(outcome, recovered)

    new_meta = fitting.metadata(outcome.calibrated)
    target = root / "recalibration" / "models" / f"{name}-{new_meta['version']}.onnx"
    atomic_write_bytes(target, outcome.calibrated)
    report = RecalibrationReport(
        kind=kind,
        model_name=name,
        parent_version=meta.get("version", "unversioned"),
        windows=window.splits,
        n_fit=outcome.n_fit,
        n_judge=outcome.n_judge,
        params=outcome.params.to_dict(),
        comparisons=outcome.comparisons,
        promoted=outcome.promote,
        reason=reason,
        onnx_path=target,
        reference=reference,
        recovered=recovered,
    )
    if register:
        report = _register(report, root, uri)
    log.info("%s", report.format())
    return report


def _parent_model(kind: str, model_path, root: Path, uri: str | None) -> Path:
    if model_path is not None:
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"cannot recalibrate {path}: no such file")
        return path
    resolved = registry.resolve(REGISTERED_NAMES[kind], root=root, uri=uri).local_path
    if resolved is None:
        raise ModelError(f"the registry gave no local file for {REGISTERED_NAMES[kind]}")
    return resolved


def _describe_window(splits: tuple[str, ...]) -> str:
    return splits[0] if len(splits) == 1 else f"{splits[0]}..{splits[-1]}"


def _reference(kind, model_bytes, meta, data_dir, split, lstm_window) -> dict[str, float]:
    """The original model's figures on ``split`` (its healthy reference), if asked for."""
    if split is None:
        return {}
    ref = load_window(kind, data_dir, [split], lstm_window=lstm_window)
    outputs = fitting.model_outputs(kind, model_bytes, ref.x)
    if kind == "lstm":
        p = sigmoid(outputs.astype(np.float64))
        return {"mse": judge.mse_error(ref.y, p), "ece": judge.calibration_error(ref.y, p)}
    threshold = float(meta.get("decision_threshold", "0.5"))
    return {"f1_score": judge.f1_score(ref.y.astype(bool), outputs >= threshold)}


def _recovered(comparisons, reference: dict[str, float]) -> dict[str, float | None]:
    """Per figure, the share of its loss since the reference that the calibration won back.

    ``None`` when the figure before calibration is not significantly worse than its
    reference (its 95 % interval reaches the reference): there is no loss to speak of.
    """
    recovered: dict[str, float | None] = {}
    for c in comparisons:
        ref = reference.get(c.metric)
        if ref is None or not math.isfinite(ref):
            continue
        lower_is_better = c.metric in ("mse", "ece")
        lost = c.before.value - ref if lower_is_better else ref - c.before.value
        significant = c.before.ci_low > ref if lower_is_better else c.before.ci_high < ref
        recovered[c.metric] = c.improvement / lost if significant and lost > 0 else None
    return recovered


def _explain(outcome, recovered: dict[str, float | None]) -> str:
    """The decision's reason, and why calibration cannot help when it wins back little."""
    shares = {k: v for k, v in recovered.items() if v is not None}
    if not shares or max(shares.values()) >= 0.5:
        return outcome.reason
    won = " and ".join(f"{v:.0%} of the {k.upper()}" for k, v in shares.items())
    return (
        f"{outcome.reason}. Calibration wins back only {won} lost since the reference split: "
        "the rest is a change in the process or the sensors that calibration cannot fix; "
        "retrain the model"
    )


def _register(report: RecalibrationReport, root: Path, uri: str | None) -> RecalibrationReport:
    tags = _tags(report)
    description = (
        f"{report.model_name} recalibrated from version {report.parent_version} on "
        f"{_describe_window(report.windows)}. Decision: "
        f"{'promoted to champion' if report.promoted else 'kept as challenger'}, because "
        f"{report.reason}."
    )
    info = registry.register_model(
        report.kind,
        report.onnx_path,
        root=root,
        uri=uri,
        description=description,
        tags=tags,
        alias="challenger",
    )
    if report.promoted:
        registry.promote(report.model_name, info.version, root=root, uri=uri, reason=report.reason)
    return RecalibrationReport(**{**report.__dict__, "version": info.version})


def _tags(report: RecalibrationReport) -> dict[str, str]:
    tags = {
        "decision": "promoted" if report.promoted else "kept as challenger",
        "decision_reason": report.reason[:4900],
        "recalibration.windows": ",".join(report.windows),
        "recalibration.params": json.dumps(report.params)[:4900],
        "n_samples": str(report.n_judge),
        "evaluation_split": f"judge part of {_describe_window(report.windows)}",
    }
    for c in report.comparisons:
        tags[f"metric.{c.metric}"] = f"{c.after.value:.6g}"
        tags[f"metric.{c.metric}.ci95"] = f"[{c.after.ci_low:.6g}, {c.after.ci_high:.6g}]"
        tags[f"before.{c.metric}"] = f"{c.before.value:.6g}"
        tags[f"improvement.{c.metric}.ci95"] = (
            f"[{c.improvement_ci[0]:.6g}, {c.improvement_ci[1]:.6g}]"
        )
    return tags
