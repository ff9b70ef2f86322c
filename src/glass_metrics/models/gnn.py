"""The anomaly model: a graph convolutional network over the sensor graph.

Each layer mixes a node's own state with the degree-normalised states of its neighbours, one
weight matrix per edge kind (``neighbour`` and ``process``) and one for the node itself, so a
sensor is judged against the sensors next to it. A shared head scores every sensor, and the
line's anomaly logit is the highest sensor score: the line is anomalous when any part of it
is. The adjacency matrices, the per-sensor, per-feature normalisation constants and a learned
embedding per sensor are constants of the exported ONNX graph; its only input is the node
features. Normalised features are clipped to +-:data:`CLIP` so that a dead sensor's extreme
values cannot swamp the network.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

EDGE_KINDS = ("neighbour", "process")
CLIP = 8.0


def normalised_adjacency(names: list[str], edges: list[list[str]], kind: str) -> np.ndarray:
    """Symmetric ``D^-1/2 A D^-1/2`` of the edges of ``kind`` (isolated nodes get a zero row)."""
    index = {name: i for i, name in enumerate(names)}
    adjacency = np.zeros((len(names), len(names)), dtype=np.float32)
    for a, b, edge_kind in edges:
        if edge_kind == kind:
            adjacency[index[a], index[b]] = adjacency[index[b], index[a]] = 1.0
    degree = adjacency.sum(axis=1)
    scale = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1.0)), 0.0)
    return (adjacency * scale[:, None] * scale[None, :]).astype(np.float32)


class GraphLayer(nn.Module):
    """``relu(h W_self + sum_k A_k h W_k + b)`` over the fixed adjacency matrices ``A_k``."""

    def __init__(self, n_in: int, n_out: int, n_kinds: int) -> None:
        super().__init__()
        self.own = nn.Linear(n_in, n_out)
        self.relations = nn.ModuleList(nn.Linear(n_in, n_out, bias=False) for _ in range(n_kinds))

    def forward(self, h: torch.Tensor, adjacency: list[torch.Tensor]) -> torch.Tensor:
        out = self.own(h)
        for matrix, relation in zip(adjacency, self.relations, strict=True):
            out = out + relation(torch.matmul(matrix, h))
        return torch.relu(out)


class AnomalyGCN(nn.Module):
    """Graph layers, a per-sensor score, and the maximum over sensors as the anomaly logit."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        mean: np.ndarray,
        std: np.ndarray,
        adjacency: list[np.ndarray],
        *,
        hidden: int = 32,
        embedding: int = 8,
        layers: int = 2,
    ) -> None:
        super().__init__()
        n_sensors, n_features = mean.shape
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        for i, matrix in enumerate(adjacency):
            self.register_buffer(f"adjacency_{i}", torch.as_tensor(matrix))
        self.n_kinds = len(adjacency)
        self.sensor_embedding = nn.Parameter(0.1 * torch.randn(n_sensors, embedding))
        widths = [n_features + embedding] + [hidden] * layers
        self.layers = nn.ModuleList(
            GraphLayer(a, b, self.n_kinds) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.sensor_score = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
        )

    def forward(self, node_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(anomaly_probability, anomaly_logit)``, each ``(batch,)``."""
        adjacency = [getattr(self, f"adjacency_{i}") for i in range(self.n_kinds)]
        z = torch.clamp((node_features - self.mean) / self.std, -CLIP, CLIP)
        identity = self.sensor_embedding.unsqueeze(0).expand(z.shape[0], -1, -1)
        h = torch.cat([z, identity], dim=-1)
        for layer in self.layers:
            h = layer(h, adjacency)
        logit = self.sensor_score(h).squeeze(-1).max(dim=1).values
        return torch.sigmoid(logit), logit
