"""Config documents in general: YAML read safely, dotted-key overrides, hashes and errors.

Everything here works for any pydantic model given as the `root` (the world's
:class:`~socialsim.config.schema.ModelConfig`, an experiment spec), so the
schema can use it without importing anything that imports the schema:
:mod:`socialsim.config.loading` binds it to ``ModelConfig``.

YAML is read with the safe loader only: a config is data, and nothing in it
is ever evaluated or imported.
"""

from __future__ import annotations

import copy as copy_module
import difflib
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from socialsim.errors import MAX_LISTED_PROBLEMS, ConfigError, Problem

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_FILE_BYTES_ENV",
    "closest_name",
    "did_you_mean",
    "dump_yaml",
    "field_type",
    "load_document",
    "max_file_bytes",
    "override_document",
    "parse_override",
    "read_yaml",
    "set_path",
    "stable_hash",
    "validate_document",
    "validation_problems",
]

Model = TypeVar("Model", bound=BaseModel)

# The safe loader, in C where PyYAML was built with libyaml: the same rules, seven times
# faster on a full config (0.1 s in Python).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 1_000_000
"""Config and spec files larger than this (1 MB) are refused before they are parsed.

The largest shipped file is a few kilobytes; a file of megabytes is a mistake
(a data file passed as a config, a generated list gone wrong), and parsing it
could take minutes and gigabytes before any error. The environment variable
:data:`MAX_FILE_BYTES_ENV` raises (or lowers) the limit.
"""

MAX_FILE_BYTES_ENV = "SOCIALSIM_MAX_FILE_BYTES"

# Python refuses to turn text of more digits into an int (CVE-2020-10735); YAML would raise
# a bare ValueError for such a number, so it is reported as a problem of its key instead.
_MAX_DIGITS = sys.get_int_max_str_digits() or 4300


def validate_document(
    root: type[Model], data: Mapping[str, Any], source: str | None = None, what: str = "config"
) -> Model:
    """Validate a nested mapping into a `root` model, every problem named at its key path.

    Parameters
    ----------
    root : pydantic model class
    data : mapping
        Nested sections; missing keys take their defaults.
    source : str, optional
        Where the data came from, prefixed to error messages.
    what : str
        What the document is, for the message when it is not a mapping.

    Raises
    ------
    ConfigError
        Listing every invalid, unknown or missing key.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            [Problem("", f"a {what} must be a mapping of sections", type(data).__name__)], source
        )
    try:
        return root.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, root), source) from None


def load_document(
    root: type[Model], path: str | Path, empty: str = "expected a mapping of sections"
) -> Model:
    """Read a YAML file safely and validate it into a `root` model.

    Raises
    ------
    ConfigError
        If the file is missing, too large, empty, not YAML, not a mapping, or invalid.
    """
    path = Path(path)
    data = read_yaml(path)
    if data is None:
        raise ConfigError([Problem("", f"file is empty; {empty}")], str(path))
    return validate_document(root, data, source=str(path))


def override_document(
    data: Mapping[str, Any],
    overrides: Mapping[str, Any],
    root: type[BaseModel],
    *,
    copy: bool = True,
) -> dict[str, Any]:
    """Return a copy of `root`'s nested data with dotted-key overrides set, unvalidated.

    With ``copy=False`` the caller hands over `data`, fresh from ``model_dump``,
    and it is changed in place (a sweep's planning resolves thousands of
    configs: the deep copy was a third of its time).

    Raises
    ------
    ConfigError
        If a path does not exist in the schema (source ``--set``).
    """
    data = copy_module.deepcopy(dict(data)) if copy else dict(data)
    problems = [
        p for path, v in overrides.items() if (p := set_path(data, path, v, root)) is not None
    ]
    if problems:
        raise ConfigError(problems, "--set")
    return data


def dump_yaml(model: BaseModel) -> str:
    """Return a model's complete data as YAML that :func:`read_yaml` reads back."""
    # Python-mode dump keeps integer table keys as integers, which reads back more naturally.
    return yaml.safe_dump(model.model_dump(), sort_keys=False, allow_unicode=True)


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file with the safe loader; None for an empty file.

    Raises
    ------
    ConfigError
        If the file is missing, a directory, not UTF-8 text or not valid YAML,
        naming the file (and the line and column of a YAML error).
    """
    path = Path(path)
    source = str(path)
    limit = max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise ConfigError(
                [
                    Problem(
                        "",
                        f"is {size:,} bytes, more than the {limit:,} bytes a config or spec file "
                        f"may have (set {MAX_FILE_BYTES_ENV} to allow larger files)",
                    )
                ],
                source,
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem("", "file not found")], source) from None
    except IsADirectoryError:
        raise ConfigError([Problem("", "is a directory, not a YAML file")], source) from None
    except NotADirectoryError:
        raise ConfigError(
            [Problem("", "file not found (a part of the path is a file)")], source
        ) from None
    except UnicodeDecodeError:
        raise ConfigError([Problem("", "is not a UTF-8 text file")], source) from None
    except PermissionError:
        raise ConfigError([Problem("", "cannot be read (permission denied)")], source) from None
    loader = None
    try:
        loader = _SafeLoader(text)  # refuses control characters already
        node = loader.get_single_node()
        if node is not None:
            # PyYAML keeps the last of two equal keys; YAML forbids them, and the first
            # value would be silently lost, so they are refused here; so are numbers too
            # long for Python to read
            problem = _node_problem(node, (), set())
            if problem is not None:
                raise ConfigError([problem], source)
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or "invalid YAML"
        if isinstance(exc, yaml.reader.ReaderError):
            where = f"character {exc.position + 1}: "
            char = chr(exc.character) if isinstance(exc.character, int) else exc.character
            reason = f"{exc.reason}, got {char!r}"
        raise ConfigError([Problem("", f"not valid YAML ({where}{reason})")], source) from None
    finally:
        if loader is not None:
            loader.dispose()


def max_file_bytes() -> int:
    """Return the size limit of config and spec files: :data:`MAX_FILE_BYTES` or the env value.

    Raises
    ------
    ConfigError
        If the environment variable is set to something other than a whole number >= 1.
    """
    text = os.environ.get(MAX_FILE_BYTES_ENV, "").strip()
    if not text:
        return MAX_FILE_BYTES
    if not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise ConfigError(
            [Problem(MAX_FILE_BYTES_ENV, "must be a whole number of bytes >= 1", text)],
            "environment",
        )
    return int(text)


def _too_long_number(node: yaml.Node) -> bool:
    """Whether a scalar reads as a whole number with more digits than Python converts."""
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        return False
    return sum(c.isdigit() for c in node.value) > _MAX_DIGITS


def _node_problem(node: yaml.Node, path: tuple[str, ...], seen: set[int]) -> Problem | None:
    """Return the first key given twice in one mapping, or number too long to read, or None."""
    if id(node) in seen:  # an alias: already checked (and never walked twice, or in a loop)
        return None
    seen.add(id(node))
    if _too_long_number(node):
        return _long_number_problem(".".join(path), node.value)
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue  # merge keys (<<) may legitimately repeat keys they merge
            here = (*path, key.value)
            if key.value in lines:
                return Problem(
                    ".".join(here),
                    f"duplicate key (on lines {lines[key.value]} and {key.start_mark.line + 1})",
                )
            lines[key.value] = key.start_mark.line + 1
            if _too_long_number(key):
                return _long_number_problem(".".join(here), key.value)
            if (found := _node_problem(value, here, seen)) is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            if (found := _node_problem(item, (*path, str(i)), seen)) is not None:
                return found
    return None


def _long_number_problem(path: str, text: str) -> Problem:
    digits = sum(c.isdigit() for c in text)
    shown = f"{text[:12]}...({digits:,} digits)"
    return Problem(path, f"a number of more than {_MAX_DIGITS:,} digits cannot be read", shown)


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``KEY=VALUE`` and read VALUE as a YAML scalar or list (safely).

    Examples
    --------
    >>> parse_override("population.n_consumers=5000")
    ('population.n_consumers', 5000)
    >>> parse_override("run.seed=null")
    ('run.seed', None)
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError([Problem("", "an override must look like KEY=VALUE", text)], "--set")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    except ValueError:  # a whole number too long for Python to read
        raise ConfigError([_long_number_problem(key, raw.strip())], "--set") from None
    return key, value


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Parse several ``KEY=VALUE`` strings into an ordered mapping (later ones win)."""
    return dict(parse_override(item) for item in items)


def stable_hash(data: Any) -> str:
    """Return a SHA-256 hex digest of JSON-compatible `data`, independent of key order.

    Examples
    --------
    >>> stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    True
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def field_type(path: str, root: type[BaseModel]) -> Any:
    """Return the type annotation of the value at a dotted key path of `root`.

    Returns None if the path does not name a value in the schema.
    """
    kind: Any = root
    for part in path.split("."):
        if kind is None or not (_is_section(kind) or getattr(kind, "__args__", ())):
            return None
        kind = _child_kind(kind, part)
    return None if _is_section(kind) else kind


# --------------------------------------------------------------------------- helpers


def _extension_fields(kind: Any) -> dict[str, Any]:
    """Sections a model takes besides its fields (a config's plug-ins), by name."""
    extra = getattr(kind, "extension_fields", None)
    return extra() if callable(extra) else {}


def _is_section(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _unwrap(annotation: Any) -> Any:
    # Annotated[Mapping[K, V], ...] -> Mapping[K, V]
    return annotation.__origin__ if hasattr(annotation, "__metadata__") else annotation


def _child_kind(kind: Any, part: str) -> Any:
    """Return the schema type one level below `kind` (a section or a table), or None if unknown."""
    if _is_section(kind):
        field = kind.model_fields.get(part)
        if field is None:  # a plug-in's section, under its own name
            return _extension_fields(kind).get(part)
        return _unwrap(field.annotation)
    args = getattr(kind, "__args__", ())
    return args[-1] if args else None  # a table: every row has the value type


def _table_key_type(kind: Any) -> Any:
    args = getattr(kind, "__args__", ())
    return args[0] if len(args) == 2 else None


def set_path(data: dict[str, Any], path: str, value: Any, root: type[BaseModel]) -> Problem | None:
    """Set the value at a dotted key path of `root`'s nested data; return the problem, if any.

    Integer keys of tables may be written as digits; a missing table row is
    created empty (validation then reports what it lacks).
    """
    parts = path.split(".")
    if any(not part for part in parts):
        return Problem(path, "not a valid dotted key path")
    node: Any = data
    kind: Any = root
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        if not isinstance(node, dict) or kind is None:
            return Problem(here, f"'{'.'.join(parts[:depth])}' is a value, not a section")
        key: Any = part
        if _is_section(kind):
            names = [*kind.model_fields, *_extension_fields(kind)]
            if part not in names:
                return Problem(here, "unknown key" + did_you_mean(part, names))
        elif _table_key_type(kind) is int:
            if not part.isdigit():
                return Problem(here, "table keys here are whole numbers", part)
            key = int(part)
        child = _child_kind(kind, part)
        if depth == len(parts) - 1:
            # a copy: a later, deeper override must not change the caller's mapping
            node[key] = copy_module.deepcopy(value) if isinstance(value, dict | list) else value
            return None
        if node.get(key) is None:
            node[key] = {}  # a new table row: validation reports what it lacks
        node, kind = node[key], child
    return None


def did_you_mean(part: str, choices: Iterable[str]) -> str:
    """Return a hint naming the choice closest to a misspelt key, or '' if none is close.

    Examples
    --------
    >>> did_you_mean("n_consumer", ["n_consumers", "tiers"])
    " (did you mean 'n_consumers'?)"
    """
    close = difflib.get_close_matches(part, [str(c) for c in choices], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def closest_name(name: str, choices: list[str]) -> str | None:
    """Return the choice `name` most likely misspells or abbreviates, or None.

    ``difflib`` finds misspellings (``pinduodou``); abbreviations (``pdd``, ``dy``)
    are too short for it, so a choice with the same first letter that holds every
    letter of `name` in order also counts.

    Examples
    --------
    >>> closest_name("pdd", ["douyin", "pinduoduo"]), closest_name("x", ["douyin"])
    ('pinduoduo', None)
    """
    choices = sorted(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return close[0]
    letters = [
        choice
        for choice in choices
        if choice[:1] == name[:1] and _in_order(name, choice) and len(choice) > len(name)
    ]
    if not letters:
        return None
    return max(letters, key=lambda c: difflib.SequenceMatcher(None, name, c).ratio())


def _in_order(short: str, long: str) -> bool:
    rest = iter(long)
    return all(char in rest for char in short)


def _siblings(loc: list[str], root: type[BaseModel]) -> list[str]:
    """Field names valid next to ``loc[-1]``, for 'did you mean' hints."""
    kind: Any = root
    for part in loc[:-1]:
        kind = _child_kind(kind, part) if kind is not None else None
    return [*kind.model_fields, *_extension_fields(kind)] if _is_section(kind) else []


def _below(loc: tuple[Any, ...], parent: tuple[Any, ...]) -> bool:
    """Whether error location `loc` lies strictly inside `parent`."""
    return len(loc) > len(parent) and tuple(loc[: len(parent)]) == tuple(parent)


def validation_problems(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Turn a pydantic ValidationError into one :class:`Problem` per error.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised validating `root`.
    root : pydantic model class
        The model that was validated, for "did you mean" hints on unknown keys.

    Examples
    --------
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Point(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     x: int
    >>> try:
    ...     Point.model_validate({"x": 1, "z": 2})
    ... except ValidationError as exc:
    ...     print(validation_problems(exc, Point)[0])
    z: unknown key

    Returns
    -------
    list of Problem
    """
    errors = exc.errors(include_url=False)
    problems = []
    for error in errors:
        loc = [str(p) for p in error["loc"]]
        kind = error["type"]
        message = error["msg"]
        if kind == "value_error":
            # a validator's own message: pydantic prefixes "Value error, " to it
            message = message.removeprefix("Value error, ")
        rule = message[0].lower() + message[1:] if message else kind
        if kind == "value_error" and message.startswith("@"):
            # located(): the validator knew the exact key path
            path, _, rule = message[1:].partition(": ")
            if path.startswith("."):  # relative to the section that raised it
                path = ".".join([*loc, path[1:]])
            problems.append(Problem(path, rule))
        elif loc and loc[-1] == "[key]":
            problems.append(Problem(".".join(loc[:-1]), f"invalid table key: {rule}", loc[-2]))
        elif kind == "extra_forbidden":
            # suggestions only for the problems a message shows: thousands cost seconds
            shown = len(problems) < MAX_LISTED_PROBLEMS
            hint = did_you_mean(loc[-1], _siblings(loc, root)) if shown else ""
            problems.append(Problem(".".join(loc), "unknown key" + hint))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            # a tagged union (design kinds): the problem is the tag, not the whole mapping
            ctx = error.get("ctx", {})
            path = ".".join([*loc, ctx.get("discriminator", "kind").strip("'")])
            if kind == "union_tag_invalid":
                choices = ctx.get("expected_tags", "")
                problems.append(Problem(path, f"must be one of {choices}", ctx.get("tag")))
            else:
                problems.append(Problem(path, "required key is missing"))
        elif kind == "missing" and error["loc"] and isinstance(error["loc"][-1], int):
            # a fixed-length list ([low, high]) with too few items
            problems.append(Problem(".".join(loc[:-1]), "too few items", error.get("input")))
        elif kind == "missing":
            problems.append(Problem(".".join(loc), "required key is missing"))
        elif kind == "too_short" and any(_below(other["loc"], error["loc"]) for other in errors):
            continue  # items were dropped for their own errors, reported at their own paths
        elif kind == "too_short" and error.get("ctx", {}).get("min_length") == 1:
            problems.append(Problem(".".join(loc), "must not be empty", error.get("input")))
        elif kind == "int_from_float":
            rule = "input should be a whole number"
            problems.append(Problem(".".join(loc), rule, error.get("input")))
        else:
            problems.append(Problem(".".join(loc), rule, error.get("input")))
    return problems
