"""What every config section shares: frozen strict sections, read-only tables, located errors."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict, WrapSerializer, model_validator

__all__ = [
    "MAX_INT",
    "MAX_RMB",
    "Field",
    "Section",
    "Table",
    "check_row_names",
    "deep_merge",
    "drop_hash_neutral",
    "drop_null_rows",
    "located",
    "read_only",
]

MAX_RMB = 1e8
"""Money stays far below float32's range (~3e38), so sums never overflow."""

MAX_INT = 2**63 - 1
"""Largest whole number a config holds: every count, step and seed fits NumPy's int64."""


def Field(
    *args: Any,
    unit: str | None = None,
    source: str | None = None,
    row: str | None = None,
    **kwargs: Any,
) -> Any:
    """Return :func:`pydantic.Field` with a config key's unit, source and row name attached.

    They are kept in the field's ``json_schema_extra``, where ``socialsim config
    --explain`` and the documentation's config reference read them
    (:mod:`socialsim.config.reference`); a config's values, dumps and hash do
    not see them.

    Parameters
    ----------
    *args, **kwargs
        As for :func:`pydantic.Field` (the default, ``description``, bounds).
    unit : str, optional
        The value's unit: ``"RMB per month"``, ``"share of consumers (0-1)"``,
        ``"probability per day (0-1)"``, ``"logit"``; ``"- (flag)"``,
        ``"- (choice)"`` and the like for values without one. Every value of
        the world's config gives one (a test checks).
    source : str, optional
        Where the default comes from: a citation, ``"assumption"`` (meant to
        be swept) or what kind of choice it is.
    row : str, optional
        For a table of sections: what a row is (``"tier"``), which names the
        rows' placeholder in the reference (``population.tiers.TIER.share``).

    Examples
    --------
    >>> class Shop(Section):
    ...     fee: float = Field(default=10.0, ge=0, description="Entry fee.", unit="RMB")
    >>> Shop.model_fields["fee"].json_schema_extra
    {'unit': 'RMB'}
    >>> Shop().model_dump()
    {'fee': 10.0}
    """
    extra = {"unit": unit, "source": source, "row": row}
    extra = {key: value for key, value in extra.items() if value is not None}
    if extra:
        kwargs["json_schema_extra"] = {**(kwargs.get("json_schema_extra") or {}), **extra}
    return pydantic.Field(*args, **kwargs)


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


def drop_null_rows(table: Any) -> Any:
    """Drop a table's rows set to null (``--set calendar.festivals.NAME=null`` removes one).

    A table's defaults are merged under the user's rows, so null is how a
    default row is taken out.

    Examples
    --------
    >>> drop_null_rows({"a": {"x": 1}, "b": None})
    {'a': {'x': 1}}
    """
    if isinstance(table, Mapping):
        return {name: row for name, row in table.items() if row is not None}
    return table


def check_row_names(path: str, what: str) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    """Return a validator refusing row names that are not lower-case identifiers.

    The validator returns the table read-only; its errors name the row's key
    path, ``path.NAME``.

    Parameters
    ----------
    path : str
        The table's dotted key path (``"shocks"``).
    what : str
        What a row is, for the message (``"shock"``).

    Examples
    --------
    >>> check_row_names("shocks", "shock")({"Lockdown": {}})
    Traceback (most recent call last):
    ...
    ValueError: @shocks.Lockdown: shock names must be lower-case identifiers (letters, digits, _)
    """

    def check(table: Mapping[str, Any]) -> Mapping[str, Any]:
        for name in table:
            if not name.isidentifier() or not name.islower():
                raise located(
                    f"{path}.{name}",
                    f"{what} names must be lower-case identifiers (letters, digits, _)",
                )
        return read_only(table)

    return check


def _as_dict(mapping: Mapping[Any, Any], handler: Any) -> Any:
    return handler(dict(mapping))


Table = WrapSerializer(_as_dict)
"""Annotation for a table: a read-only mapping that serialises as a plain dict."""


class Section(BaseModel):
    """A frozen config section that rejects unknown keys, NaN and infinity.

    It also refuses true or false for a number, anything but true or false for a
    flag, and whole numbers beyond int64, which pydantic's lax mode would let
    through.
    """

    # allow_inf_nan=False: NaN and infinity are never meaningful here, and would only fail
    # later, in the middle of a run.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )

    hash_neutral: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """Fields added after run ids were first stored, each with its *neutral* value: the
    value at which the model behaves exactly as it did before the field existed. A field
    at its neutral value is left out of the config hash (:func:`drop_hash_neutral`), so
    adding an option leaves the hash, and every stored run id, of a config that does not
    use it as it was. The neutral value need not be the default: a default may later move
    to the new behaviour, and the field then counts in the hash of every config but those
    that ask for the old behaviour."""

    @model_validator(mode="before")
    @classmethod
    def _no_coercion_surprises(cls, data: Any) -> Any:
        # pydantic's lax mode reads true as 1 for a number and 1 as true for a flag, so a
        # misplaced `true` would silently become a count of one; and a whole number too big
        # for int64 would pass validation only to crash NumPy when the world is built. One
        # check per section, not per field: a config validates ~700 values, often.
        if isinstance(data, dict):
            numbers, others = _section_checks(cls)
            get = data.get
            for name in numbers:
                if type(get(name)) is bool:
                    _check_number(get(name), (name,))
            for name, check in others:
                if (value := get(name)) is not None:
                    check(value, (name,))
        return data


def drop_hash_neutral(section: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    """Remove from `data` (a JSON dump of `section`) every field at its neutral value.

    Walks nested sections and tables of sections; see :attr:`Section.hash_neutral`.

    Parameters
    ----------
    section : pydantic.BaseModel
        The config section.
    data : dict
        ``section.model_dump(mode="json")``, changed in place.

    Returns
    -------
    dict
        `data`.

    Examples
    --------
    >>> class Promotions(Section):
    ...     hash_neutral = MappingProxyType({"wait_shift": 0.0})
    ...     rate: float = 0.01
    ...     wait_shift: float = 0.0
    >>> drop_hash_neutral(Promotions(), Promotions().model_dump(mode="json"))
    {'rate': 0.01}
    >>> drop_hash_neutral(Promotions(wait_shift=-0.3), {"rate": 0.01, "wait_shift": -0.3})
    {'rate': 0.01, 'wait_shift': -0.3}
    """
    neutral = getattr(type(section), "hash_neutral", {})
    for name in type(section).model_fields:
        if name not in data:
            continue  # excluded from the dump
        value = getattr(section, name)
        if name in neutral and value == neutral[name]:
            del data[name]
        elif isinstance(value, BaseModel) and isinstance(data[name], dict):
            drop_hash_neutral(value, data[name])
        elif isinstance(value, Mapping) and isinstance(data[name], dict):
            for key, row in value.items():
                if isinstance(row, BaseModel) and isinstance(data[name].get(str(key)), dict):
                    drop_hash_neutral(row, data[name][str(key)])
    return data


# --------------------------------------------------------------------------- strict values

_Check = Callable[[Any, tuple[Any, ...]], None]


@cache
def _section_checks(
    cls: type[BaseModel],
) -> tuple[tuple[str, ...], tuple[tuple[str, _Check], ...]]:
    """Return the fields of a section that hold numbers or flags: plain numbers, other checks."""
    checks = ((name, _checker(field.annotation)) for name, field in cls.model_fields.items())
    checks = tuple((name, check) for name, check in checks if check is not None)
    numbers = tuple(name for name, check in checks if check is _check_number)
    return numbers, tuple((name, check) for name, check in checks if check is not _check_number)


@cache
def _checker(kind: Any) -> _Check | None:
    """Return (once per type) the check of a raw value against `kind`; None if none is needed."""
    if kind is bool:
        return _check_flag
    if kind is float:
        return _check_number
    if kind is int:
        return _check_whole
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = [k for k in args if k is not type(None)]
        # X | None: None passes, anything else is judged as X
        return _checker(options[0]) if len(options) == 1 else None
    origin = typing.get_origin(kind)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return None if item is None else _items_checker(lambda i: item)
        items = [_checker(arg) for arg in args]
        if not any(items):
            return None
        return _items_checker(lambda i: items[i] if i < len(items) else None)
    if origin in (Mapping, dict) and len(args) == 2:
        return _table_checker(args[0] is int, _checker(args[1]))
    return None


def _check_flag(value: Any, where: tuple[Any, ...]) -> None:
    if not isinstance(value, bool):
        _refuse(where, "input should be true or false", value)


def _check_number(value: Any, where: tuple[Any, ...]) -> None:
    if isinstance(value, bool):
        _refuse(where, "input should be a number, not true or false", value)


def _check_whole(value: Any, where: tuple[Any, ...]) -> None:
    if isinstance(value, bool):
        _refuse(where, "input should be a number, not true or false", value)
    # NaN (value != value) is left to pydantic, which names it "not a finite number"
    if isinstance(value, int | float) and value == value and not -MAX_INT <= value <= MAX_INT:
        _refuse(where, f"input should be between -{MAX_INT} and {MAX_INT}", value)


def _items_checker(item_check: Callable[[int], _Check | None]) -> _Check:
    def check(value: Any, where: tuple[Any, ...]) -> None:
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if (one := item_check(i)) is not None and item is not None:
                    one(item, (*where, i))

    return check


def _table_checker(int_keys: bool, item: _Check | None) -> _Check | None:
    if not int_keys and item is None:
        return None

    def check(value: Any, where: tuple[Any, ...]) -> None:
        if isinstance(value, Mapping):
            for key, row in value.items():
                if int_keys and isinstance(key, bool):
                    _refuse((*where, key), "table keys here are whole numbers", key)
                if item is not None and row is not None:
                    item(row, (*where, key))

    return check


def _refuse(where: tuple[Any, ...], rule: str, value: Any) -> None:
    # located() points at the field, or the item of a list or table, relative to the section
    path = ".".join(str(part) for part in where)
    raise located(f".{path}", f"{rule}, got {_short_repr(value)}")


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
