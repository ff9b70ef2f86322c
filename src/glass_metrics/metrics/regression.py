"""Regression over k outputs: MSE, MAE, RMSE and R2 per output and uniformly averaged.

The state is a handful of float64 sums per output, so chunks and partitions merge exactly
(up to floating-point rounding) into what one pass over all the data gives.

Intervals (95 %): MSE and MAE by the normal approximation to the mean of the squared and
absolute errors; RMSE as the square root of the MSE interval; R2 from the MSE interval with
the target variance held fixed (its own sampling error is ignored, so the R2 interval is a
little narrow on small samples). Averages over outputs take the mean of the per-output
bounds, which is conservative unless the outputs' errors are perfectly correlated.

Speed: a compiled kernel (``_kernels``, numba) reads the inputs once and accumulates every
sum in float64 on the way, so the suite runs at about the cost of merely reading the data
when the inputs are float32 or float64, both of one dtype, and either C-contiguous (n, k)
arrays or contiguous columns (F-ordered arrays, ``update_columns`` with contiguous arrays).

Limitations: other inputs (integers, mixed dtypes, strided views) are first copied to float64
one cache-sized block at a time, and run at two to five times the cost of reading them. The
first update with float32 or with float64 inputs compiles the kernel for that dtype (one to
two seconds, once); numba caches it on disk (in ``__pycache__`` beside the module when that is
writable, else in its user cache directory or ``NUMBA_CACHE_DIR``), and a later process loads
it in a few tenths of a second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glass_metrics.metrics._common import (
    BLOCK_ROWS,
    REGRESSION_SUMS,
    MetricInputError,
    Problem,
    as_1d,
    as_2d,
    blocks,
    check_same_length,
    find_nonfinite,
    raise_problems,
    undefined,
)
from glass_metrics.metrics.intervals import mean_se, normal
from glass_metrics.metrics.types import Finding, MetricValue

#: Samples of k outputs: an (n, k) array, or one 1-D array per output.
Samples = np.ndarray | list[np.ndarray]

REGRESSION_METRICS = ("mse", "mae", "rmse", "r2_score")
_SUMS = REGRESSION_SUMS

MSE_METHOD = "normal approximation on squared errors"
MAE_METHOD = "normal approximation on absolute errors"
RMSE_METHOD = "square root of the MSE interval"
R2_METHOD = "from the MSE interval, target variance held fixed"
AVERAGE_METHOD = "mean of per-output bounds (conservative)"


@dataclass
class RegressionResult:
    """Figures of one regression evaluation.

    ``overall`` holds the uniform average over outputs of MSE, MAE and R2, and RMSE as the
    square root of that average MSE (so RMSE² = MSE); ``per_output`` the same figures for
    each output. Every ``n`` is the number of samples (rows).
    """

    overall: dict[str, MetricValue]
    per_output: dict[str, dict[str, MetricValue]]
    findings: list[Finding] = field(default_factory=list)


class RegressionState:
    """Sufficient statistics of k-output regression errors; update, merge, compute.

    Per output it keeps the sums of the (shifted) target and its square, and of the squared,
    absolute and fourth-power errors, all in float64 whatever the input dtype. The target is
    shifted by its first observed value so that R2 stays accurate when the mean is large.
    """

    def __init__(self, outputs: Sequence[str] = ("y",)) -> None:
        self.outputs = [str(o) for o in outputs]
        if not self.outputs or len(set(self.outputs)) != len(self.outputs):
            raise MetricInputError(f"'outputs': expected distinct names, got {self.outputs!r}")
        k = len(self.outputs)
        self.n = 0
        self.shift = np.zeros(k)
        self.s_t = np.zeros(k)
        self.s_tt = np.zeros(k)
        self.s_d2 = np.zeros(k)
        self.s_abs = np.zeros(k)
        self.s_d4 = np.zeros(k)

    def __len__(self) -> int:
        return self.n

    def update(self, y_true: Any, y_pred: Any) -> RegressionState:
        """Add samples of shape (n, k), or (n,) for one output; returns ``self``."""
        k = len(self.outputs)
        t = as_2d(y_true, "y_true", k)
        p = as_2d(y_pred, "y_pred", k)
        check_same_length(t, p, ("y_true", "y_pred"))
        return self._ingest(t, p)

    def update_columns(
        self, y_true: Sequence[np.ndarray], y_pred: Sequence[np.ndarray]
    ) -> RegressionState:
        """Add samples given as one 1-D array per output (in ``outputs`` order).

        Equivalent to :meth:`update` on the stacked columns, without the stacked copy.
        """
        k = len(self.outputs)
        if len(y_true) != k or len(y_pred) != k:
            raise MetricInputError(
                f"expected {k} columns each for 'y_true' and 'y_pred', "
                f"got {len(y_true)} and {len(y_pred)}"
            )
        t = [as_1d(c, f"y_true[{o}]") for c, o in zip(y_true, self.outputs, strict=True)]
        p = [as_1d(c, f"y_pred[{o}]") for c, o in zip(y_pred, self.outputs, strict=True)]
        if len({len(c) for c in t + p}) > 1:
            raise MetricInputError(
                "all columns must have the same length, got "
                f"{[len(c) for c in t]} for 'y_true' and {[len(c) for c in p]} for 'y_pred'"
            )
        return self._ingest(t, p)

    def _ingest(self, t: Samples, p: Samples) -> RegressionState:
        """Add an (n, k) array pair or a pair of lists of k 1-D columns."""
        n = _n_rows(t)
        if n == 0:
            return self
        shift = self.shift if self.n else np.array([col[0] for col in _columns(t)], np.float64)
        sums = _sums(t, p, shift)

        # A NaN or infinity anywhere makes a sum non-finite: the data are searched only then.
        if not np.isfinite(sums).all():
            raise_problems(_nonfinite(t, "y_true") + _nonfinite(p, "y_pred"))
            raise MetricInputError("values too large: their squares overflow float64")

        self.shift = shift
        for name, row in zip(_SUMS, sums, strict=True):
            getattr(self, name)[:] += row
        self.n += n
        return self

    def merge(self, other: RegressionState) -> RegressionState:
        """Add ``other``'s samples into this state (which is returned); ``other`` is unchanged."""
        if other.outputs != self.outputs:
            raise MetricInputError(
                f"cannot merge states over outputs {other.outputs!r} into {self.outputs!r}"
            )
        if other.n == 0:
            return self
        if self.n == 0:
            self.shift = other.shift.copy()

        delta = other.shift - self.shift
        self.s_tt += other.s_tt + 2 * delta * other.s_t + other.n * delta * delta
        self.s_t += other.s_t + other.n * delta
        for name in ("s_d2", "s_abs", "s_d4"):
            getattr(self, name)[:] += getattr(other, name)
        self.n += other.n
        return self

    def compute(self) -> RegressionResult:
        """Every figure with its interval; raises ``MetricInputError`` when there is no sample."""
        if self.n == 0:
            raise MetricInputError("no samples: regression metrics need at least one")
        findings: list[Finding] = []
        per_output = {
            name: self._output_figures(j, name, findings) for j, name in enumerate(self.outputs)
        }
        overall = _average(per_output, self.n, findings)
        return RegressionResult(overall, per_output, findings)

    def _output_figures(self, j: int, name: str, findings: list[Finding]) -> dict[str, MetricValue]:
        n = self.n
        mse = self.s_d2[j] / n
        mae = self.s_abs[j] / n
        mse_ci = normal(mse, mean_se(self.s_d2[j], self.s_d4[j], n), 0.0)
        mae_ci = normal(mae, mean_se(self.s_abs[j], self.s_d2[j], n), 0.0)
        rmse_ci = (math.sqrt(mse_ci[0]), math.sqrt(mse_ci[1]))
        figures = {
            "mse": MetricValue(float(mse), n, *mse_ci, MSE_METHOD),
            "mae": MetricValue(float(mae), n, *mae_ci, MAE_METHOD),
            "rmse": MetricValue(math.sqrt(mse), n, *rmse_ci, RMSE_METHOD),
        }

        sst = float(self.s_tt[j] - self.s_t[j] ** 2 / n)
        if sst <= 1e-12 * float(self.s_tt[j]) or sst <= 0.0:
            reason = f"the target of output {name!r} is constant over {n} samples"
            figures["r2_score"] = undefined(f"r2_score[{name}]", n, reason, findings)
        else:
            r2_ci = (1 - mse_ci[1] * n / sst, 1 - mse_ci[0] * n / sst)
            figures["r2_score"] = MetricValue(float(1 - self.s_d2[j] / sst), n, *r2_ci, R2_METHOD)
        return figures

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the state; :meth:`from_dict` restores it exactly."""
        sums = {name: getattr(self, name).tolist() for name in _SUMS}
        return {
            "kind": "regression",
            "outputs": self.outputs,
            "n": self.n,
            "shift": self.shift.tolist(),
            "sums": sums,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegressionState:
        """The state written by :meth:`to_dict`."""
        if data.get("kind") != "regression":
            raise MetricInputError(f"expected a regression state, got kind {data.get('kind')!r}")
        state = cls(data["outputs"])
        state.n = int(data["n"])
        state.shift = np.asarray(data["shift"], dtype=np.float64)
        for name in _SUMS:
            setattr(state, name, np.asarray(data["sums"][name], dtype=np.float64))
        return state


def _n_rows(samples: Samples) -> int:
    return len(samples) if isinstance(samples, np.ndarray) else len(samples[0])


def _columns(samples: Samples) -> list[np.ndarray]:
    return list(samples.T) if isinstance(samples, np.ndarray) else list(samples)


def _sums(t: Samples, p: Samples, shift: np.ndarray) -> np.ndarray:
    """The statistics of these samples, as a (len(_SUMS), k) array, from one read of the data.

    A C-contiguous pair goes to the kernel whole, contiguous columns one by one, anything
    else through float64 buffers; every way gives bit-identical sums.
    """
    if isinstance(t, np.ndarray) and isinstance(p, np.ndarray) and _fits_kernel(t, p):
        return _kernel_sums(t, p, shift)
    columns = list(zip(_columns(t), _columns(p), strict=True))
    if not all(_fits_kernel(tj, pj) for tj, pj in columns):
        return _buffered_sums(t, p, shift)
    sums = [
        _kernel_sums(tj[:, None], pj[:, None], shift[j : j + 1])
        for j, (tj, pj) in enumerate(columns)
    ]
    return np.concatenate(sums, axis=1)


def _kernel_sums(t: np.ndarray, p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    from glass_metrics.metrics._kernels import add_sums

    sums = np.zeros((len(_SUMS), len(shift)))
    add_sums(_read_only(t), _read_only(p), shift, sums, BLOCK_ROWS)
    return sums


def _buffered_sums(t: Samples, p: Samples, shift: np.ndarray) -> np.ndarray:
    """Sums of samples the kernel cannot read as they are: integers, mixed dtypes, strided.

    Each block of rows is copied into cache-sized float64 buffers first; the blocks are the
    kernel's own, so the sums are the same as if it had read the samples directly.
    """
    from glass_metrics.metrics._kernels import add_sums

    n = _n_rows(t)
    buffers = np.empty((2, min(n, BLOCK_ROWS), len(shift)))
    sums = np.zeros((len(_SUMS), len(shift)))
    for sl in blocks(n):
        buffer_t, buffer_p = buffers[:, : sl.stop - sl.start]
        _copy_rows(t, sl, buffer_t)
        _copy_rows(p, sl, buffer_p)
        add_sums(_read_only(buffer_t), _read_only(buffer_p), shift, sums, BLOCK_ROWS)
    return sums


def _copy_rows(samples: Samples, sl: slice, out: np.ndarray) -> None:
    if isinstance(samples, np.ndarray):
        np.copyto(out, samples[sl])
        return
    for j, column in enumerate(samples):
        np.copyto(out[:, j], column[sl])


def _fits_kernel(t: np.ndarray, p: np.ndarray) -> bool:
    """Whether the kernel can read the pair as it is: one float dtype, C-contiguous, aligned."""
    return (
        t.dtype == p.dtype
        and t.dtype in (np.float32, np.float64)
        and t.flags.c_contiguous
        and p.flags.c_contiguous
        and t.flags.aligned
        and p.flags.aligned
    )


def _read_only(arr: np.ndarray) -> np.ndarray:
    # Writable and read-only arrays (Arrow buffers are read-only) then share one compiled
    # signature per dtype, which keeps the first-use compile time down.
    view = arr.view()
    view.flags.writeable = False
    return view


def _nonfinite(samples: Samples, argument: str) -> list[Problem]:
    if isinstance(samples, np.ndarray):
        return find_nonfinite(samples, argument)
    return [p for j, col in enumerate(samples) for p in find_nonfinite(col, f"{argument}[:, {j}]")]


def _average(
    per_output: dict[str, dict[str, MetricValue]], n: int, findings: list[Finding]
) -> dict[str, MetricValue]:
    """Uniform average over the outputs on which each metric is defined."""
    overall = {}
    for metric in REGRESSION_METRICS:
        values = [figs[metric] for figs in per_output.values()]
        defined = [v for v in values if math.isfinite(v.value)]
        if not defined:
            overall[metric] = undefined(metric, n, "undefined on every output", findings)
            continue
        if len(defined) < len(values):
            missing = [o for o, figs in per_output.items() if not math.isfinite(figs[metric].value)]
            findings.append(
                Finding(
                    "info",
                    "partial-average",
                    f"{metric} averages {len(defined)} of {len(values)} outputs; "
                    f"undefined on {', '.join(missing)}",
                    metric,
                )
            )
        overall[metric] = MetricValue(
            float(np.mean([v.value for v in defined])),
            n,
            float(np.mean([v.ci_low for v in defined])),
            float(np.mean([v.ci_high for v in defined])),
            AVERAGE_METHOD if len(per_output) > 1 else defined[0].method,
        )
    if len(per_output) > 1:
        overall["rmse"] = _pooled_rmse(overall["mse"])
    return overall


def _pooled_rmse(mse: MetricValue) -> MetricValue:
    """RMSE over all outputs as the root of the averaged MSE, so that RMSE² = MSE holds.

    (scikit-learn's ``uniform_average`` RMSE averages the per-output roots instead; that
    figure is smaller whenever outputs differ, and would contradict the published MSE.)
    """
    return MetricValue(
        math.sqrt(mse.value),
        mse.n,
        math.sqrt(mse.ci_low) if math.isfinite(mse.ci_low) else math.nan,
        math.sqrt(mse.ci_high) if math.isfinite(mse.ci_high) else math.nan,
        "square root of the averaged MSE and its interval",
    )


__all__ = ["BLOCK_ROWS", "REGRESSION_METRICS", "RegressionResult", "RegressionState"]
