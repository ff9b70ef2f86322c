"""Plain-text tables of registered models and versions, for the CLI to print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from glass_metrics.registry.versions import ModelVersionInfo

MODEL_COLUMNS = ("name", "versions", "latest", "champion", "challenger", "description")
VERSION_COLUMNS = ("version", "aliases", "created", "onnx_version", "figures", "note")


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as an aligned text table with a header; an empty list gives ``(none)``."""
    if not rows:
        return "(none)"
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def format_models(rows: Sequence[Mapping[str, Any]]) -> str:
    """The table ``registry list`` prints, from :func:`~glass_metrics.registry.list_models`."""
    return format_table(rows, MODEL_COLUMNS)


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
        "note": info.tags.get("decision", info.tags.get("retired_at", "")),
    }


def format_versions(versions: Sequence[ModelVersionInfo]) -> str:
    """A table of versions, one row each (``registry show NAME``)."""
    return format_table([version_row(v) for v in versions], VERSION_COLUMNS)


def format_version(info: ModelVersionInfo) -> str:
    """Everything about one version: identity, description, then every tag as a table."""
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
