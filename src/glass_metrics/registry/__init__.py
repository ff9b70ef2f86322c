"""Model versions and their ``champion``/``challenger`` aliases in the MLflow Model Registry."""

from glass_metrics.registry.store import ALIASES, ModelSpec, open_client, parse_spec
from glass_metrics.registry.tables import (
    format_models,
    format_show,
    format_table,
    format_version,
    format_versions,
)
from glass_metrics.registry.versions import (
    ModelVersionInfo,
    evaluation_tags,
    get_version,
    kind_of,
    list_models,
    promote,
    record_evaluation,
    register_model,
    resolve,
    resolve_alias,
    set_alias,
    show,
)

__all__ = [
    "ALIASES",
    "ModelSpec",
    "ModelVersionInfo",
    "evaluation_tags",
    "format_models",
    "format_show",
    "format_table",
    "format_version",
    "format_versions",
    "get_version",
    "kind_of",
    "list_models",
    "open_client",
    "parse_spec",
    "promote",
    "record_evaluation",
    "register_model",
    "resolve",
    "resolve_alias",
    "set_alias",
    "show",
]
