"""Model versions in the MLflow Model Registry: register, alias, promote, resolve, list.

Every trained or recalibrated model is a version of ``glass-defect-lstm`` or
``glass-anomaly-gnn``. Its ONNX file (``model/model.onnx``) and input/output signature
(``model/signature.json``) are artifacts of a run in experiment ``Model_Registry``; its tags
hold the latest evaluation figures (``metric.mse``, ``metric.mse.ci95``, ``n_samples``,
``evaluation_run_id``) and ``model_sha256``, which :func:`resolve` checks on download.

Aliases: ``champion`` is the version that serves (evaluation and monitoring use it unless
told otherwise); ``challenger`` is a candidate not (yet) promoted. :func:`promote` moves
``champion``; the previous champion keeps no alias, only the tags ``retired_at`` and
``replaced_by``, and rolling back is ``promote`` of its version number.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from glass_metrics.config import REGISTERED_NAMES
from glass_metrics.errors import ConfigError, ModelError
from glass_metrics.fsutil import atomic_write_bytes
from glass_metrics.mlflow_store import ensure_experiment
from glass_metrics.registry.signature import read_signature, sha256_of
from glass_metrics.registry.store import (
    ALIASES,
    REGISTRY_EXPERIMENT,
    ModelSpec,
    open_client,
    parse_spec,
)

log = logging.getLogger(__name__)

MODEL_DESCRIPTIONS = {
    "glass-defect-lstm": (
        "LSTM with attention over a window of float-glass line sensors; outputs the "
        "probability of each of the six defect types (ONNX, input sensor_window)."
    ),
    "glass-anomaly-gnn": (
        "Graph convolutional network over the sensor graph; outputs the probability that "
        "the line is in an anomalous state (ONNX, input node_features)."
    ),
}
ARTIFACT_DIR = "model"
ONNX_ARTIFACT = f"{ARTIFACT_DIR}/model.onnx"


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered model version as the registry holds it.

    ``local_path`` is set by :func:`resolve`: the verified ONNX file in the local cache.
    """

    name: str
    version: str
    aliases: tuple[str, ...]
    description: str
    tags: Mapping[str, str]
    run_id: str | None
    source: str
    created: datetime
    local_path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        """The SHA-256 of the version's ONNX file, as tagged at registration."""
        return self.tags.get("model_sha256")

    @property
    def spec(self) -> str:
        """``NAME/VERSION``, the spec that names exactly this version."""
        return f"{self.name}/{self.version}"

    def figures(self) -> dict[str, str]:
        """The version's figure tags (``metric.*``) without the prefix."""
        return {k[len("metric.") :]: v for k, v in self.tags.items() if k.startswith("metric.")}


def kind_of(name: str) -> str:
    """The model kind (``lstm``/``gnn``) registered under ``name``."""
    for kind, registered in REGISTERED_NAMES.items():
        if registered == name:
            return kind
    raise ConfigError(f"no model kind is registered as {name!r}; known: {REGISTERED_NAMES}")


def register_model(
    kind: str,
    onnx_path: Path | str,
    *,
    root: Path | str,
    uri: str | None = None,
    evaluation=None,
    evaluation_run_id: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    alias: str | None = None,
) -> ModelVersionInfo:
    """Register the ONNX file at ``onnx_path`` as a new version of the ``kind`` model.

    ``evaluation`` (an ``EvaluationResult`` of this very file) supplies the figure tags;
    ``alias`` (``champion`` or ``challenger``) is set on the new version. Either the version
    is complete (artifacts, tags, alias) or, when any step after its creation fails, it is
    deleted again and the error re-raised: no half-registered version, no dangling alias.
    """
    name = _registered_name(kind)
    path = Path(onnx_path)
    signature = _checked_signature(kind, path)
    sha = sha256_of(path)
    all_tags = _version_tags(kind, signature, sha, evaluation, evaluation_run_id)
    all_tags.update({str(k): str(v) for k, v in (tags or {}).items()})
    text = description or _describe(name, signature, sha, evaluation)
    if alias is not None:
        _check_alias(alias)

    client = open_client(Path(root), uri)
    _ensure_registered_model(client, name)
    run_id, artifact_uri = _log_artifacts(client, Path(root), name, path, signature)
    try:
        version = client.create_model_version(
            name,
            source=f"{artifact_uri}/{ARTIFACT_DIR}",
            run_id=run_id,
            tags=all_tags,
            description=text,
        ).version
    except BaseException:
        _quietly(client.set_terminated, run_id, status="FAILED")
        raise
    try:
        if alias is not None:
            client.set_registered_model_alias(name, alias, version)
        client.set_terminated(run_id, status="FINISHED")
    except BaseException:
        _undo_version(client, name, version, run_id)
        raise
    log.info("registered %s/%s from %s (sha256 %s)", name, version, path, sha[:12])
    return _info(client.get_model_version(name, version))


def set_alias(name: str, alias: str, version: str | int, *, root, uri=None) -> ModelVersionInfo:
    """Point ``alias`` of model ``name`` at ``version`` (which must exist)."""
    _check_alias(alias)
    client = open_client(Path(root), uri)
    _get_version(client, name, str(version))
    client.set_registered_model_alias(name, alias, str(version))
    return _info(client.get_model_version(name, str(version)))


def promote(
    name: str, version: str | int, *, root, uri=None, reason: str | None = None
) -> ModelVersionInfo:
    """Make ``version`` the ``champion`` of model ``name`` (``lstm``/``gnn`` accepted).

    The alias moves in one step, so it never points at nothing. If ``challenger`` pointed at
    ``version`` it is removed. The previous champion keeps its number and gets the tags
    ``retired_at`` and ``replaced_by``.
    """
    name = parse_spec(name).name
    client = open_client(Path(root), uri)
    version = str(version)
    _get_version(client, name, version)
    previous = _alias_version(client, name, "champion")

    client.set_registered_model_alias(name, "champion", version)
    if _alias_version(client, name, "challenger") == version:
        client.delete_registered_model_alias(name, "challenger")

    now = datetime.now(UTC).isoformat(timespec="seconds")
    client.set_model_version_tag(name, version, "promoted_at", now)
    if reason:
        client.set_model_version_tag(name, version, "promotion_reason", reason)
    if previous is not None and previous != version:
        client.set_model_version_tag(name, previous, "retired_at", now)
        client.set_model_version_tag(name, previous, "replaced_by", version)
    log.info("promoted %s/%s to champion (was %s)", name, version, previous)
    return _info(client.get_model_version(name, version))


def get_version(spec: str, *, root, uri=None) -> ModelVersionInfo:
    """The version ``spec`` names, without downloading it.

    A bare name means its ``champion``, or its latest version when it has no champion.
    """
    client = open_client(Path(root), uri)
    return _info(_lookup(client, parse_spec(spec)))


def resolve(spec: str, *, root, uri=None) -> ModelVersionInfo:
    """The version ``spec`` names, with ``local_path`` the verified ONNX file in the cache.

    The file is downloaded once into ``<root>/registry_cache/<name>/<version>/model.onnx``
    and its SHA-256 checked against the version's ``model_sha256`` tag, on download and on
    every later use; a mismatch raises :class:`ModelError`.
    """
    client = open_client(Path(root), uri)
    info = _info(_lookup(client, parse_spec(spec)))
    target = Path(root) / "registry_cache" / info.name / info.version / "model.onnx"
    if not (target.exists() and sha256_of(target) == info.sha256):
        _download(client, info, target)
    _verify(info, target)
    return ModelVersionInfo(**{**info.__dict__, "local_path": target})


def list_models(*, root, uri=None) -> list[dict[str, Any]]:
    """One row per registered model: versions, latest, champion, challenger, description."""
    client = open_client(Path(root), uri)
    rows = []
    for model in client.search_registered_models(order_by=["name ASC"]):
        versions = client.search_model_versions(f"name='{model.name}'")
        numbers = sorted(int(v.version) for v in versions)
        rows.append(
            {
                "name": model.name,
                "versions": len(numbers),
                "latest": str(numbers[-1]) if numbers else "-",
                "champion": model.aliases.get("champion", "-"),
                "challenger": model.aliases.get("challenger", "-"),
                "description": (model.description or "").split(". ")[0],
            }
        )
    return rows


def show(spec: str, *, root, uri=None) -> list[ModelVersionInfo]:
    """The versions ``spec`` names: all of a bare name (newest first), else the one named."""
    parsed = parse_spec(spec)
    client = open_client(Path(root), uri)
    if parsed.alias is None and parsed.version is None:
        versions = client.search_model_versions(f"name='{parsed.name}'")
        if not versions:
            raise ModelError(f"no registered model {parsed.name!r} (or it has no versions)")
        # Search results carry no aliases; the registered model holds them.
        aliases: dict[str, list[str]] = {}
        for alias, version in client.get_registered_model(parsed.name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
        infos = [_info(v, aliases.get(str(v.version))) for v in versions]
        return sorted(infos, key=lambda i: -int(i.version))
    return [_info(_lookup(client, parsed))]


def _registered_name(kind: str) -> str:
    if kind not in REGISTERED_NAMES:
        raise ConfigError(f"model kind must be one of {sorted(REGISTERED_NAMES)}, got {kind!r}")
    return REGISTERED_NAMES[kind]


def _check_alias(alias: str) -> None:
    if alias not in ALIASES:
        raise ConfigError(f"alias must be one of {list(ALIASES)}, got {alias!r}")


def _checked_signature(kind: str, path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelError(f"cannot register {path}: no such file")
    signature = read_signature(path)
    declared = signature["metadata"].get("model_kind")
    if declared is not None and declared != kind:
        raise ModelError(
            f"cannot register {path} as {kind}: its metadata says model_kind={declared!r}"
        )
    return signature


def _version_tags(kind, signature, sha, evaluation, evaluation_run_id) -> dict[str, str]:
    meta = signature["metadata"]
    tags = {
        "model_kind": kind,
        "model_sha256": sha,
        "onnx_version": meta.get("version", "unversioned"),
        "registered_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if "calibrated_from" in meta:
        tags["calibrated_from"] = meta["calibrated_from"]
    if evaluation_run_id:
        tags["evaluation_run_id"] = evaluation_run_id
    if evaluation is not None:
        tags.update(evaluation_tags(evaluation, sha))
    return tags


def evaluation_tags(evaluation, sha: str | None = None) -> dict[str, str]:
    """Tags holding an ``EvaluationResult``'s figures: ``metric.<name>``, ``.ci95``, ``n_samples``.

    Raises :class:`ModelError` when ``sha`` is given and the evaluation was of another file.
    """
    if sha is not None and evaluation.model_sha256 and evaluation.model_sha256 != sha:
        raise ModelError(
            f"the evaluation given is of model sha256 {evaluation.model_sha256[:12]}..., "
            f"not of the file being registered ({sha[:12]}...)"
        )
    tags = {
        "n_samples": str(evaluation.n_samples),
        "evaluation_split": str(evaluation.split),
        "evaluation_dataset": str(evaluation.dataset),
        "evaluation_timestamp": evaluation.timestamp_iso,
    }
    for metric, value in evaluation.metrics.items():
        tags[f"metric.{metric}"] = f"{value.value:.6g}"
        tags[f"metric.{metric}.ci95"] = f"[{value.ci_low:.6g}, {value.ci_high:.6g}]"
    return tags


def _describe(name: str, signature: dict[str, Any], sha: str, evaluation) -> str:
    version = signature["metadata"].get("version", "unversioned")
    text = f"{name} ONNX version {version} (sha256 {sha[:12]})."
    if "calibrated_from" in signature["metadata"]:
        text += f" Recalibrated from sha256 {signature['metadata']['calibrated_from'][:12]}."
    if evaluation is not None:
        figures = ", ".join(
            f"{k} {v.value:.4g} [{v.ci_low:.4g}, {v.ci_high:.4g}]"
            for k, v in list(evaluation.metrics.items())[:4]
        )
        text += f" Evaluated on {evaluation.split} ({evaluation.n_samples} samples): {figures}."
    return text


def _ensure_registered_model(client, name: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
        return
    except MlflowException:
        pass
    try:
        client.create_registered_model(name, description=MODEL_DESCRIPTIONS.get(name, ""))
    except MlflowException:
        client.get_registered_model(name)  # created concurrently; raises if truly missing


def _log_artifacts(client, root: Path, name: str, path: Path, signature) -> tuple[str, str]:
    experiment_id = ensure_experiment(client, REGISTRY_EXPERIMENT, root)
    run = client.create_run(
        experiment_id,
        start_time=int(time.time() * 1000),
        run_name=f"register-{name}",
        tags={"registered_model": name},
    )
    run_id = run.info.run_id
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / ARTIFACT_DIR
            folder.mkdir()
            shutil.copyfile(path, folder / "model.onnx")
            (folder / "signature.json").write_text(json.dumps(signature, indent=2))
            client.log_artifacts(run_id, str(folder), artifact_path=ARTIFACT_DIR)
    except BaseException:
        _quietly(client.set_terminated, run_id, status="FAILED")
        raise
    return run_id, run.info.artifact_uri


def _undo_version(client, name: str, version: str, run_id: str) -> None:
    log.error("registration of %s/%s failed halfway; deleting the version", name, version)
    _quietly(client.delete_model_version, name, version)
    _quietly(client.set_terminated, run_id, status="FAILED")


def _quietly(call, *args, **kwargs) -> None:
    """Run a clean-up step; its own failure is logged, never raised over the first error."""
    try:
        call(*args, **kwargs)
    except Exception as exc:  # the store may be the very thing that is down
        log.error("clean-up %s failed: %s", getattr(call, "__name__", call), exc)


def _get_version(client, name: str, version: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException as exc:
        raise ModelError(f"model {name!r} has no version {version!r}") from exc


def _alias_version(client, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_registered_model(name).aliases.get(alias)
    except MlflowException:
        return None
    return None if version is None else str(version)


def _lookup(client, spec: ModelSpec):
    from mlflow.exceptions import MlflowException

    if spec.version is not None:
        return _get_version(client, spec.name, spec.version)
    alias = spec.alias or "champion"
    try:
        return client.get_model_version_by_alias(spec.name, alias)
    except MlflowException as exc:
        if spec.alias is not None:
            raise ModelError(f"model {spec.name!r} has no version with alias {alias!r}") from exc
    versions = client.search_model_versions(f"name='{spec.name}'")
    if not versions:
        raise ModelError(f"no registered model {spec.name!r} (or it has no versions)")
    latest = max(versions, key=lambda v: int(v.version))
    log.info("%s has no champion; using its latest version %s", spec.name, latest.version)
    return latest


def _download(client, info: ModelVersionInfo, target: Path) -> None:
    if not info.run_id:
        raise ModelError(f"{info.spec} has no run holding its ONNX file")
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(client.download_artifacts(info.run_id, ONNX_ARTIFACT, tmp))
        atomic_write_bytes(target, local.read_bytes())


def _verify(info: ModelVersionInfo, target: Path) -> None:
    actual = sha256_of(target)
    if info.sha256 and actual != info.sha256:
        target.unlink(missing_ok=True)
        raise ModelError(
            f"{info.spec}: downloaded ONNX has sha256 {actual[:12]}..., but the version "
            f"was registered with {info.sha256[:12]}...; the artifact was altered"
        )


def _info(mv, aliases: list[str] | None = None) -> ModelVersionInfo:
    return ModelVersionInfo(
        name=mv.name,
        version=str(mv.version),
        aliases=tuple(sorted(aliases if aliases is not None else (mv.aliases or ()))),
        description=mv.description or "",
        tags=dict(mv.tags or {}),
        run_id=mv.run_id,
        source=mv.source,
        created=datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC),
    )


def record_evaluation(evaluation, *, root, uri=None, run_id: str | None = None) -> list[str]:
    """Tag every registered version of the evaluated file with the evaluation's figures.

    The versions are found by the ``model_sha256`` tag; ``run_id`` (the evaluation's MLflow
    run) is recorded as ``evaluation_run_id``. Returns the version numbers tagged, none when
    the file is not registered.
    """
    name = REGISTERED_NAMES[evaluation.kind]
    client = open_client(Path(root), uri)
    tags = evaluation_tags(evaluation)
    if run_id:
        tags["evaluation_run_id"] = run_id
    tagged = []
    for version in client.search_model_versions(f"name='{name}'"):
        if version.tags.get("model_sha256") != evaluation.model_sha256:
            continue
        for key, value in tags.items():
            client.set_model_version_tag(name, version.version, key, value)
        tagged.append(str(version.version))
    return tagged


def resolve_alias(name: str, alias: str, *, root, uri=None) -> str | None:
    """The version number ``alias`` points at on model ``name`` (``lstm``/``gnn`` accepted)."""
    name = parse_spec(name).name
    return _alias_version(open_client(Path(root), uri), name, alias)
