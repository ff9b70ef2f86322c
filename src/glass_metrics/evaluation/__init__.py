"""ONNX evaluation: run a model over a dataset split and build an EvaluationResult."""

from glass_metrics.evaluation.evaluate import evaluate_model
from glass_metrics.evaluation.onnx_model import LoadedModel, load_model
from glass_metrics.evaluation.result import EvaluationResult

__all__ = ["EvaluationResult", "LoadedModel", "evaluate_model", "load_model"]
