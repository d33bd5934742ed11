"""Placeholder replaced below."""

from pathlib import Path

__all__ = ["write_report"]


def write_report(directory: Path) -> Path:
    """Write report.html."""
    return directory / "report.html"
