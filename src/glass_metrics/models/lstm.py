"""The defect model: an LSTM with additive attention over a window of sensor readings.

Input ``(batch, window, n_sensors)`` raw readings; the per-sensor normalisation constants are
buffers, so they travel inside the exported ONNX graph. Output: six defect logits, and their
sigmoid as probabilities.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class DefectLSTM(nn.Module):
    """LSTM encoder, attention pooling over time, and a small head to one logit per defect."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self, mean: np.ndarray, std: np.ndarray, n_defects: int, *, hidden: int = 48
    ) -> None:
        super().__init__()
        n_sensors = len(mean)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.encoder = nn.LSTM(n_sensors, hidden, batch_first=True)
        self.attention = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.head = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_defects)
        )

    def forward(self, sensor_window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(defect_probability, defect_logit)``, each ``(batch, n_defects)``."""
        states, _ = self.encoder((sensor_window - self.mean) / self.std)
        weights = torch.softmax(self.attention(states).squeeze(-1), dim=1)
        context = (weights.unsqueeze(-1) * states).sum(dim=1)
        logit = self.head(torch.cat([context, states[:, -1]], dim=1))
        return torch.sigmoid(logit), logit
