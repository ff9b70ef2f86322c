"""Plain-text tables of evaluation results for the terminal."""

from __future__ import annotations

import math
from collections.abc import Iterable

from glass_metrics.evaluation.result import EvaluationResult
from glass_metrics.metrics.types import MetricValue


def format_value(x: float) -> str:
    """A figure with four significant decimals, or ``undefined`` for NaN."""
    return "undefined" if not math.isfinite(x) else f"{x:.4f}"


def format_interval(m: MetricValue) -> str:
    if not (math.isfinite(m.ci_low) and math.isfinite(m.ci_high)):
        return "-"
    return f"[{m.ci_low:.4f}, {m.ci_high:.4f}]"


def metric_rows(metrics: dict[str, MetricValue]) -> list[tuple[str, str, str, str]]:
    return [
        (name, format_value(m.value), format_interval(m), str(m.n)) for name, m in metrics.items()
    ]


def format_table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows aligned under ``header``; the first column left-aligned, the rest right."""
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_result(result: EvaluationResult) -> str:
    """The result as a person reads it: the metrics table, then the findings."""
    title = (
        f"{result.experiment} #{result.sequence}: {result.model_name} v{result.model_version} "
        f"on {result.dataset} ({result.n_samples} samples)"
    )
    table = format_table(metric_rows(dict(result.metrics)), ("metric", "value", "95% CI", "n"))
    lines = [title, table]
    if result.findings:
        lines.append("findings:")
        lines.extend(f"  {finding}" for finding in result.findings)
    return "\n".join(lines)
