"""Opening the MLflow store of an output folder; shared by the sinks and the registry."""

from __future__ import annotations

from pathlib import Path

from glass_metrics.config import OutputLayout, tracking_uri


def client_for(root: Path, uri: str | None = None):
    """An ``MlflowClient`` on the folder's store (or ``uri``), the folder created if needed."""
    from mlflow.tracking import MlflowClient

    Path(root).mkdir(parents=True, exist_ok=True)
    resolved = tracking_uri(Path(root), uri)
    return MlflowClient(tracking_uri=resolved, registry_uri=resolved)


def ensure_experiment(client, name: str, root: Path) -> str:
    """The id of experiment ``name``, created with artifacts under ``<root>/mlruns`` if new."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifacts = OutputLayout(Path(root)).mlruns.resolve() / name
    try:
        return client.create_experiment(name, artifact_location=artifacts.as_uri())
    except Exception:
        # Another process created it between our lookup and our create.
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id
