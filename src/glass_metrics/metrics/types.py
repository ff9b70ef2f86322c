"""Value types shared by every metric: a figure with its sample count and interval, a finding."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class MetricValue:
    """One published figure.

    ``value`` is NaN when the metric is undefined on the data (a finding says why).
    ``ci_low``/``ci_high`` bound the 95 % interval; ``method`` names how it was computed.
    """

    value: float
    n: int
    ci_low: float = math.nan
    ci_high: float = math.nan
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": _json_float(self.value),
            "n": int(self.n),
            "ci95": [_json_float(self.ci_low), _json_float(self.ci_high)],
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricValue:
        low, high = data.get("ci95", [None, None])
        return cls(
            value=_from_json_float(data["value"]),
            n=int(data["n"]),
            ci_low=_from_json_float(low),
            ci_high=_from_json_float(high),
            method=str(data.get("method", "")),
        )


@dataclass(frozen=True)
class Finding:
    """Something a reader of the figures must know: an error, a warning or a note.

    ``code`` is a stable machine-readable identifier (for example ``ratio-out-of-range``);
    ``metric`` names the figure concerned, if any.
    """

    severity: Severity
    code: str
    message: str
    metric: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "metric": self.metric,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            severity=data["severity"],
            code=data["code"],
            message=data["message"],
            metric=data.get("metric"),
        )

    def __str__(self) -> str:
        where = f" [{self.metric}]" if self.metric else ""
        return f"{self.severity.upper()} {self.code}{where}: {self.message}"


def _json_float(x: float) -> float | None:
    """JSON has no NaN; an undefined figure is written as null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _from_json_float(x: float | None) -> float:
    return math.nan if x is None else float(x)
