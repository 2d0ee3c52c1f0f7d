"""The installed version of am_analytics, as files written by it record it."""

from __future__ import annotations

from importlib import metadata


def library_version() -> str:
    """The installed version of am_analytics (its distribution's metadata)."""
    return metadata.version("am-analytics")
