"""Metrics for a predictions file (Parquet or CSV), streamed in chunks of bounded size.

Binary files hold a label column (0/1) and a score column in [0, 1]; regression files hold
pairs of columns ``<true_prefix><output>`` and ``<pred_prefix><output>``. Bad data raises
:class:`~glass_metrics.errors.DataError` naming the file, the column, the problem, how many
values have it and the first row (counted from 0, header excluded).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from glass_metrics.errors import DataError
from glass_metrics.metrics import (
    BinaryState,
    CalibrationState,
    MetricInputError,
    Problem,
    RegressionState,
    check_consistency,
)
from glass_metrics.metrics._common import (
    find_nonfinite,
    find_not_binary,
    find_outside,
)
from glass_metrics.metrics.types import Finding, MetricValue

log = logging.getLogger(__name__)

Chunk = dict[str, np.ndarray]


def score_file(
    path: str | Path,
    *,
    task: str,
    threshold: float = 0.5,
    y_true: str = "y_true",
    y_score: str = "y_score",
    outputs: Sequence[str] | None = None,
    true_prefix: str = "true_",
    pred_prefix: str = "pred_",
    chunk_rows: int = 250_000,
) -> dict[str, Any]:
    """A JSON-ready report of every metric of ``task`` (``binary`` or ``regression``)."""
    path = Path(path)
    if chunk_rows < 1:
        raise DataError(f"chunk_rows: expected at least 1, got {chunk_rows}")
    table = _Table(path, chunk_rows)
    if task == "binary":
        report = _score_binary(table, threshold, y_true, y_score)
    elif task == "regression":
        names = _regression_outputs(table, outputs, true_prefix, pred_prefix)
        report = _score_regression(table, names, true_prefix, pred_prefix)
    else:
        raise DataError(f"task: expected 'binary' or 'regression', got {task!r}")
    log.info("scored %s (%s, %d samples)", path, task, report["n_samples"])
    return report


class _Table:
    """Column names and a chunked reader over a Parquet or CSV file."""

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        suffix = "".join(path.suffixes[-2:]).lower()
        if path.suffix.lower() in (".parquet", ".pq"):
            self.kind = "parquet"
        elif path.suffix.lower() == ".csv" or suffix == ".csv.gz":
            self.kind = "csv"
        else:
            raise DataError(f"{path}: expected a .parquet or .csv file, got {path.suffix!r}")
        self.columns = self._columns()

    def _columns(self) -> list[str]:
        try:
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                return list(pq.ParquetFile(self.path).schema_arrow.names)
            import pandas as pd

            return list(pd.read_csv(self.path, nrows=0).columns)
        except Exception as exc:  # the readers raise many types; all mean "unreadable"
            raise DataError(f"{self.path}: cannot read as {self.kind}: {_short(exc)}") from exc

    def require(self, columns: Sequence[str]) -> None:
        """Raise naming the missing columns and the columns present."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise DataError(
                f"{self.path}: missing column(s) {', '.join(map(repr, missing))}; "
                f"columns present: {', '.join(map(repr, self.columns)) or 'none'}"
            )

    def chunks(self, columns: Sequence[str]) -> Iterator[tuple[int, Chunk]]:
        """(row offset, {column: 1-D array}) for consecutive chunks."""
        self.require(columns)
        offset = 0
        try:
            for chunk in self._raw_chunks(list(columns)):
                arrays = {c: _numeric(self.path, c, chunk[c], offset) for c in columns}
                yield offset, arrays
                offset += len(arrays[columns[0]])
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"{self.path}: cannot read as {self.kind}: {_short(exc)}") from exc

    def _raw_chunks(self, columns: list[str]) -> Iterator[dict[str, Any]]:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            # Without pre-buffering and with a small read buffer, pyarrow holds about one batch
            # at a time instead of whole row groups (which can be the whole file).
            source = pq.ParquetFile(self.path, pre_buffer=False, buffer_size=1 << 20)
            for batch in source.iter_batches(self.chunk_rows, columns=columns):
                yield {c: batch.column(c).to_numpy(zero_copy_only=False) for c in columns}
            return
        import pandas as pd

        for frame in pd.read_csv(self.path, usecols=columns, chunksize=self.chunk_rows):
            yield {c: frame[c].to_numpy() for c in columns}


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _numeric(path: Path, column: str, values: np.ndarray, offset: int) -> np.ndarray:
    if values.dtype.kind in "fiub":
        return values
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        bad = [i for i, v in enumerate(values) if not _is_number(v)]
        raise DataError(
            f"{path}: column {column!r} has {len(bad)} non-numeric values; first at row "
            f"{offset + bad[0]} (value {values[bad[0]]!r})"
        ) from None


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _regression_outputs(
    table: _Table, outputs: Sequence[str] | None, true_prefix: str, pred_prefix: str
) -> list[str]:
    if outputs:
        return list(outputs)
    names = [
        c[len(true_prefix) :]
        for c in table.columns
        if c.startswith(true_prefix) and pred_prefix + c[len(true_prefix) :] in table.columns
    ]
    if not names:
        raise DataError(
            f"{table.path}: no column pairs {true_prefix}<output> / {pred_prefix}<output>; "
            f"columns present: {', '.join(map(repr, table.columns)) or 'none'}"
        )
    return names


class _ProblemTally:
    """Problems across chunks: total count and first row per (column, problem)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[tuple[str, str], Problem] = {}

    def add(self, problems: Sequence[Problem], offset: int, columns: dict[str, str]) -> None:
        for p in problems:
            column = columns.get(p.argument, p.argument)
            key = (column, p.what)
            if key in self.seen:
                old = self.seen[key]
                self.seen[key] = Problem(
                    column, p.what, old.count + p.count, old.first_index, old.first_value
                )
            else:
                self.seen[key] = Problem(
                    column, p.what, p.count, p.first_index + offset, p.first_value
                )

    def raise_if_any(self) -> None:
        if self.seen:
            described = "; ".join(p.describe(unit="row") for p in self.seen.values())
            raise DataError(f"{self.path}: {described}")


def _stream(table: _Table, columns: list[str], update: Any, validate: Any) -> int:
    """Feed every chunk to ``update``; after a bad chunk, only ``validate`` the rest."""
    tally = _ProblemTally(table.path)
    n = 0
    for offset, chunk in table.chunks(columns):
        if tally.seen:
            tally.add(validate(chunk), offset, {})
            continue
        try:
            update(chunk)
        except MetricInputError as exc:
            if not exc.problems:
                raise DataError(f"{table.path}: {exc}") from exc
            tally.add(validate(chunk), offset, {})
        n += len(chunk[columns[0]])
    tally.raise_if_any()
    if n == 0:
        raise DataError(f"{table.path}: no rows to score (the file is empty)")
    return n


def _score_binary(table: _Table, threshold: float, y_true: str, y_score: str) -> dict[str, Any]:
    try:
        state = BinaryState(threshold)
    except MetricInputError as exc:
        raise DataError(str(exc)) from exc
    calibration = CalibrationState(outputs=[y_score])

    def update(chunk: Chunk) -> None:
        state.update(chunk[y_true], chunk[y_score])
        calibration.update(chunk[y_true], chunk[y_score])

    def validate(chunk: Chunk) -> list[Problem]:
        y, s = chunk[y_true], chunk[y_score]
        problems = find_nonfinite(y, y_true) + find_nonfinite(s, y_score)
        return problems + find_not_binary(y, y_true) + find_outside(s, y_score, 0.0, 1.0)

    n = _stream(table, [y_true, y_score], update, validate)
    result = state.compute()
    ece = calibration.compute()
    metrics = {**result.metrics, "ece": ece.ece}
    findings = result.findings + ece.findings + _consistency(metrics, n)
    return {
        "task": "binary",
        "file": str(table.path),
        "n_samples": n,
        "threshold": threshold,
        "metrics": {k: v.to_dict() for k, v in metrics.items()},
        "confusion": result.confusion,
        "calibration": ece.bins,
        "findings": [f.to_dict() for f in findings],
    }


def _score_regression(
    table: _Table, names: list[str], true_prefix: str, pred_prefix: str
) -> dict[str, Any]:
    state = RegressionState(names)
    trues = [true_prefix + o for o in names]
    preds = [pred_prefix + o for o in names]

    def update(chunk: Chunk) -> None:
        state.update_columns([chunk[c] for c in trues], [chunk[c] for c in preds])

    def validate(chunk: Chunk) -> list[Problem]:
        return [p for c in trues + preds for p in find_nonfinite(chunk[c], c)]

    n = _stream(table, trues + preds, update, validate)
    result = state.compute()
    findings = result.findings + _consistency(result.overall, n)
    return {
        "task": "regression",
        "file": str(table.path),
        "n_samples": n,
        "metrics": {k: v.to_dict() for k, v in result.overall.items()},
        "per_output": {
            o: {k: v.to_dict() for k, v in figs.items()} for o, figs in result.per_output.items()
        },
        "findings": [f.to_dict() for f in findings],
    }


def _consistency(metrics: dict[str, MetricValue], n: int) -> list[Finding]:
    figures = {k: v.value for k, v in metrics.items() if math.isfinite(v.value)}
    return check_consistency(figures, n=n, printed=False)


def format_table(report: dict[str, Any]) -> str:
    """An aligned text table of a :func:`score_file` report: metric, value, interval, n."""
    lines = [f"{report['task']} metrics for {report['file']} ({report['n_samples']} samples)"]
    lines += _metric_rows(report["metrics"])
    for output, figures in report.get("per_output", {}).items():
        lines += ["", f"output {output}"] + _metric_rows(figures)
    if "confusion" in report:
        c = report["confusion"]
        lines += [
            "",
            f"confusion at threshold {report['threshold']}: "
            f"tp={c['tp']} fp={c['fp']} tn={c['tn']} fn={c['fn']}",
        ]
    findings = [Finding.from_dict(f) for f in report.get("findings", [])]
    lines += [""] + ([str(f) for f in findings] or ["no findings"])
    return "\n".join(lines)


def _metric_rows(metrics: dict[str, dict[str, Any]]) -> list[str]:
    rows = [("metric", "value", "95% interval", "n")]
    for name, m in metrics.items():
        low, high = m["ci95"]
        interval = "-" if low is None or high is None else f"[{_num(low)}, {_num(high)}]"
        rows.append((name, _num(m["value"]), interval, str(m["n"])))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return [
        f"  {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
        for r in rows
    ]


def _num(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.6g}"
