"""Exceptions the package raises for bad input; the CLI turns them into a message and exit 2."""

from __future__ import annotations


class GlassMetricsError(Exception):
    """Base of every error caused by the caller's input rather than by a bug."""


class DataError(GlassMetricsError, ValueError):
    """A data file is missing, unreadable, or its content is invalid (names the file)."""


class ModelError(GlassMetricsError, ValueError):
    """A model file is unreadable, or does not fit the data or the task it was given."""


class ConfigError(GlassMetricsError, ValueError):
    """A configuration value or file is invalid (names the key and the allowed values)."""
