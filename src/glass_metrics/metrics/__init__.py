"""The metric engine: mergeable states, metric formulas with intervals, consistency checks.

Pure numpy plus one numba kernel for the regression sums, no I/O, and nothing else of the
package is imported here. Every state has ``update``, ``merge`` (adds another state into this
one and returns it), ``compute``, ``to_dict`` / ``from_dict`` and ``len`` / ``.n``.
"""

from glass_metrics.metrics._common import MetricInputError, Problem, UndefinedMetricWarning
from glass_metrics.metrics.binary import BINARY_METRICS, BinaryResult, BinaryState
from glass_metrics.metrics.calibration import CalibrationResult, CalibrationState
from glass_metrics.metrics.consistency import KNOWN, RATIOS, check_consistency
from glass_metrics.metrics.regression import REGRESSION_METRICS, RegressionResult, RegressionState
from glass_metrics.metrics.types import Finding, MetricValue

__all__ = [
    "BINARY_METRICS",
    "KNOWN",
    "RATIOS",
    "REGRESSION_METRICS",
    "BinaryResult",
    "BinaryState",
    "CalibrationResult",
    "CalibrationState",
    "Finding",
    "MetricInputError",
    "MetricValue",
    "Problem",
    "RegressionResult",
    "RegressionState",
    "UndefinedMetricWarning",
    "check_consistency",
]
