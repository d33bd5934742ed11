"""What every config section shares: frozen strict sections, read-only tables, located errors."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, WrapSerializer

__all__ = ["MAX_RMB", "Section", "Table", "deep_merge", "located", "read_only"]

MAX_RMB = 1e8
"""Money stays far below float32's range (~3e38), so sums never overflow."""


def located(path: str, message: str) -> ValueError:
    """Return a ValueError whose message carries a key path.

    Cross-field rules are checked in model validators, whose errors pydantic
    attaches to the enclosing section; the ``@path:`` prefix lets the error
    formatter point at the exact key instead. A path starting with ``.`` is
    relative to the section that raised it (``.price_ladder`` inside
    ``platforms.pinduoduo.group_buying``), for sections used in several places.
    """
    return ValueError(f"@{path}: {message}")


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `over` onto `base`: mappings merge key by key, other values replace.

    Examples
    --------
    >>> deep_merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2]})
    {'a': {'x': 1, 'y': 3}, 'b': [2]}
    """
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_only(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """Return a read-only copy of a table."""
    return MappingProxyType(dict(mapping))


def _as_dict(mapping: Mapping[Any, Any], handler: Any) -> Any:
    return handler(dict(mapping))


Table = WrapSerializer(_as_dict)
"""Annotation for a table: a read-only mapping that serialises as a plain dict."""


class Section(BaseModel):
    """A frozen config section that rejects unknown keys, NaN and infinity."""

    # allow_inf_nan=False: NaN and infinity are never meaningful here, and would only fail
    # later, in the middle of a run.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )
