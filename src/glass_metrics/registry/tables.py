"""Plain-text tables of registered models and versions, for the CLI to print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from glass_metrics.registry.versions import ModelVersionInfo

MODEL_COLUMNS = ("name", "versions", "latest", "champion", "challenger", "description")
MAX_CELL = 90
VERSION_COLUMNS = ("version", "aliases", "created", "onnx_version", "figures", "note")


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as an aligned text table with a header; an empty list gives ``(none)``."""
    if not rows:
        return "(none)"
    cells = [[_clip(str(row.get(c, ""))) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _clip(text: str) -> str:
    """One line of at most :data:`MAX_CELL` characters, ``...`` marking a cut."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."


def format_models(rows: Sequence[Mapping[str, Any]]) -> str:
    """The table ``registry list`` prints, from :func:`~glass_metrics.registry.list_models`.

    Long descriptions are cut to their first sentence.
    """
    short = [{**row, "description": str(row.get("description", "")).split(";")[0]} for row in rows]
    return format_table(short, MODEL_COLUMNS)


def version_row(info: ModelVersionInfo, *, max_figures: int = 3) -> dict[str, str]:
    """One version as a table row: aliases, creation time, headline figures, a note."""
    figures = {k: v for k, v in info.figures().items() if "." not in k}
    shown = ", ".join(f"{k}={v}" for k, v in list(figures.items())[:max_figures])
    return {
        "version": info.version,
        "aliases": ",".join(info.aliases) or "-",
        "created": info.created.strftime("%Y-%m-%d %H:%M:%S"),
        "onnx_version": info.tags.get("onnx_version", "-"),
        "figures": shown or "-",
        "note": _note(info),
    }


def _note(info: ModelVersionInfo) -> str:
    if "replaced_by" in info.tags:
        return f"former champion, replaced by {info.tags['replaced_by']}"
    return info.tags.get("decision", "")


def format_versions(versions: Sequence[ModelVersionInfo]) -> str:
    """A table of versions, one row each (``registry show NAME``)."""
    return format_table([version_row(v) for v in versions], VERSION_COLUMNS)


def format_version(info: ModelVersionInfo) -> str:
    """Everything about one version: identity, description, then every tag as a table.

    Tag values longer than :data:`MAX_CELL` characters are cut (``registry.show`` returns them
    whole).
    """
    head = [
        f"{info.spec}  aliases: {', '.join(info.aliases) or '-'}",
        f"created: {info.created.isoformat(timespec='seconds')}  run: {info.run_id}",
        f"source: {info.source}",
    ]
    if info.local_path is not None:
        head.append(f"local file: {info.local_path}")
    head += ["", info.description or "(no description)", ""]
    rows = [{"tag": k, "value": v} for k, v in sorted(info.tags.items())]
    return "\n".join(head) + format_table(rows, ("tag", "value"))


def format_show(versions: Sequence[ModelVersionInfo]) -> str:
    """What ``registry show`` prints: one version in full, or a table of several."""
    if len(versions) == 1:
        return format_version(versions[0])
    return f"{versions[0].name}\n" + format_versions(versions) if versions else "(none)"
