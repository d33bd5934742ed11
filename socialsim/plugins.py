"""Mechanisms from outside the package: the registry of plug-in components.

An installed package offers components through the ``socialsim.mechanisms``
entry-point group (the way pytest finds its plug-ins)::

    # the plug-in's pyproject.toml
    [project.entry-points."socialsim.mechanisms"]
    flash_sale = "my_package.flash_sale:FlashSale"

Each entry point names a :class:`~socialsim.mechanisms.component.Component`
subclass with a ``name`` and a ``config_model`` (a pydantic section with an
``enabled`` flag). The first time socialsim needs them (validating a config,
building a model) every entry point of the group is loaded: its section then
appears in the config under its name (``socialsim config``, ``--set
flash_sale.depth=0.5``, sweep designs), and a model composes the component
when its section is enabled, with its metric columns in the tables. Nothing
in a YAML file is ever imported: only installed packages' entry points are.

This module sits below everything else (it imports nothing of socialsim), so
the config and the model can both read it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginError",
    "components",
    "load_entry_points",
    "register",
    "sections",
    "unregister",
]

ENTRY_POINT_GROUP = "socialsim.mechanisms"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REGISTERED: dict[str, Any] = {}
_discovered = False
# Top-level config sections of the world itself: a plug-in may not take their names.
_RESERVED = frozenset(
    {
        "population",
        "network",
        "influencers",
        "stores",
        "daigou",
        "catalogue",
        "behaviour",
        "platforms",
        "cross_border",
        "campaign",
        "agents",
        "run",
        "extensions",
    }
)


class PluginError(ValueError):
    """A component that cannot be registered (a bad or taken name, no config section)."""


def register(component: Any) -> Any:
    """Register a component class as a plug-in; return it (so it can decorate the class).

    Parameters
    ----------
    component : type
        A :class:`~socialsim.mechanisms.component.Component` subclass with a
        ``name`` (a lower-case identifier, the config section's name) and a
        ``config_model`` (its section's pydantic model, with ``enabled``).

    Raises
    ------
    PluginError
        If the name is not an identifier, is a section of the world, or is
        taken by another component, or the class has no config model.
    """
    name = getattr(component, "name", "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginError(f"a plug-in's name is a lower-case identifier, got {name!r}")
    if name in _RESERVED:
        raise PluginError(f"plug-in name {name!r} is a section of the world; choose another")
    model = getattr(component, "config_model", None)
    if model is None or "enabled" not in getattr(model, "model_fields", {}):
        raise PluginError(
            f"plug-in {name!r} needs a config_model: a pydantic section with an 'enabled' flag"
        )
    other = _REGISTERED.get(name)
    if other is not None and other is not component:
        raise PluginError(f"plug-in name {name!r} is taken by {other.__module__}.{other.__name__}")
    _REGISTERED[name] = component
    return component


def unregister(name: str) -> None:
    """Forget plug-in `name` (for tests and notebooks); unknown names are ignored."""
    _REGISTERED.pop(name, None)


def load_entry_points(points: Iterable[EntryPoint] | None = None) -> list[str]:
    """Load and register the components the entry points name; return their names.

    Parameters
    ----------
    points : iterable of EntryPoint, optional
        The entry points to load; every one of the ``socialsim.mechanisms``
        group of the installed packages if omitted.

    A plug-in that fails to load is skipped with a warning naming it and the
    error, so that one broken package does not stop socialsim.
    """
    global _discovered
    if points is None:
        _discovered = True
        points = entry_points(group=ENTRY_POINT_GROUP)
    names = []
    for point in points:
        try:
            component = point.load()
            register(component)
        except Exception as exc:  # a broken plug-in must not stop socialsim
            warnings.warn(
                f"socialsim: the plug-in {point.name!r} ({point.value}) could not be loaded: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        names.append(component.name)
    return names


def components() -> Mapping[str, Any]:
    """Return the registered plug-in components by name (installed ones loaded on first use)."""
    if not _discovered:
        load_entry_points()
    return MappingProxyType(dict(_REGISTERED))


def sections() -> Mapping[str, Any]:
    """Return the config section model of each registered plug-in, by name."""
    return MappingProxyType({name: c.config_model for name, c in components().items()})
