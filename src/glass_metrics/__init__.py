"""glass-metrics: evaluate, publish and watch the glass plant's ML models."""

__version__ = "0.1.0"
