"""What each config key means, for people: description, unit, type, default, bounds, source.

``socialsim config --explain KEY`` (:func:`explain`) and the documentation's
config reference (:func:`reference_markdown`) are both made here from the
schema itself: the fields' descriptions and pydantic bounds, and the units
and sources each field carries (:func:`socialsim.config._base.Field`). Nothing
is written twice, so neither can drift from the code.

A key's path is its dotted override path. Rows of a table of sections are
written with a placeholder in capitals in the reference
(``population.tiers.TIER.share``, ``platforms.PLATFORM.feed.kind``);
:func:`explain` takes either a row's own key (``population.tiers.3.share``)
or the placeholder, which shows every row's value.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import UnionType
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from socialsim.config.documents import closest_name, did_you_mean
from socialsim.config.platforms import PRESETS, PlatformConfig
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem

__all__ = ["ConfigKey", "config_keys", "explain", "reference_markdown", "show_value"]


@dataclass(frozen=True)
class ConfigKey:
    """One value of the config schema: where it is and what its field says.

    Parameters
    ----------
    path : str
        The dotted key path, table rows as a placeholder in capitals
        (``population.tiers.TIER.share``).
    section : type
        The section (a pydantic model) that holds the field.
    name : str
        The field's name in its section.
    """

    path: str
    section: type[BaseModel]
    name: str

    @property
    def field(self) -> FieldInfo:
        """The pydantic field."""
        return self.section.model_fields[self.name]

    @property
    def description(self) -> str:
        """The field's description ('' if it has none)."""
        return self.field.description or ""

    @property
    def unit(self) -> str:
        """The value's unit ('' if the field gives none)."""
        return str(_extra(self.field).get("unit", ""))

    @property
    def source(self) -> str:
        """Where the default comes from ('' if the field gives none)."""
        return str(_extra(self.field).get("source", ""))

    @property
    def kind(self) -> str:
        """The value's type, in words: ``float``, ``int or null``, ``'a' or 'b'``."""
        return _type_text(self.field.annotation)

    @property
    def bounds(self) -> str:
        """The pydantic constraints, e.g. ``>= 0, < 1`` ('' if none)."""
        return _bounds_text(self.field)

    @property
    def has_default(self) -> bool:
        """Whether the schema gives a default (a table row's keys often have none)."""
        return not self.field.is_required()

    @property
    def default(self) -> Any:
        """The schema's default; raises ``LookupError`` if the field has none."""
        if not self.has_default:
            raise LookupError(f"{self.path} has no default: a row must give it")
        return self.field.get_default(call_default_factory=True)


def config_keys(root: type[BaseModel] = ModelConfig) -> list[ConfigKey]:
    """Return every value (leaf) of a config schema, in the schema's order.

    Sections are walked into, and so are the rows of tables of sections (a
    row's keys once, under the table's placeholder); a table of plain values
    (``price_ladder``) or a list is one value. Plug-in sections are not
    included, nor the hidden ``extensions``.

    Parameters
    ----------
    root : pydantic model class
        The schema, :class:`~socialsim.config.schema.ModelConfig` by default.

    Returns
    -------
    list of ConfigKey

    Examples
    --------
    >>> keys = {key.path: key for key in config_keys()}
    >>> keys["population.n_consumers"].unit, keys["population.n_consumers"].default
    ('consumers', 50000)
    >>> keys["platforms.PLATFORM.group_buying.discount"].bounds
    '>= 0, < 1'
    """
    return list(_walk(root, ""))


def _walk(section: type[BaseModel], prefix: str) -> Iterator[ConfigKey]:
    for name, field in section.model_fields.items():
        if field.exclude:
            continue  # ModelConfig.extensions: plug-ins' sections sit under their own names
        path = prefix + name
        child = _section_class(field.annotation)
        row = _row_class(field.annotation)
        if child is not None:
            yield from _walk(child, path + ".")
        elif row is not None:
            yield from _walk(row, f"{path}.{_placeholder(field)}.")
        else:
            yield ConfigKey(path, section, name)


# --------------------------------------------------------------------------- explain


def explain(key: str, config: BaseModel | None = None, where: str = "in the default world") -> str:
    """Return what a config key means and what it holds, as text for a terminal.

    For a value: its description, type, unit, value in `config` (with the
    schema's default, and a platform preset's), bounds and source. For a
    section or a table: its keys or rows, one line each.

    Parameters
    ----------
    key : str
        A dotted key path: ``population.tiers.3.share``; a table's rows may be
        given as a placeholder in capitals (``platforms.PLATFORM.fee``) to see
        every row's value.
    config : ModelConfig, optional
        The world whose values are shown (the default world if omitted).
    where : str
        How to name that world in the text.

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        If the key is not in the schema, or names a row the config does not
        have (source ``--explain``), with a did-you-mean where one is close.

    Examples
    --------
    >>> print(explain("run.steps"))  # doctest: +NORMALIZE_WHITESPACE
    run.steps
      Days to simulate.
    <BLANKLINE>
      type     int
      unit     days
      default  90 in the default world (the schema's default)
      bounds   >= 0
      source   a study's choice
      section  run: How long to run, from which seed, and what to record.
    """
    config = ModelConfig() if config is None else config
    target = _locate(key, config)
    if target.field is not None:
        return _explain_value(target, where)
    return _explain_section(target, where)


@dataclass
class _Target:
    """Where a key path leads: a value, a section or a table, with the values it has."""

    path: str  # as given
    schema_path: str  # table rows as placeholders
    kind: Any  # a section class, or a table's annotation, or a value's annotation
    values: dict[str, Any]  # row label ('' for a path without a placeholder) -> value
    section: type[BaseModel] | None = None  # for a value or a table: the section holding it
    field: FieldInfo | None = None  # for a value: its field
    name: str = ""
    table_field: FieldInfo | None = None  # for a table: its field
    preset: tuple[str, Any] | None = None  # a platform row's preset and its value of the key


def _locate(key: str, config: BaseModel) -> _Target:
    parts = key.strip().split(".")
    if not key.strip():
        raise _error("", "give a dotted key path, e.g. population.n_consumers, or a section")
    if any(not part for part in parts):
        raise _error(key, "not a valid dotted key path")
    kind: Any = type(config)
    values: dict[str, Any] = {"": config}
    schema: list[str] = []
    target = _Target(key, "", kind, values)
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        if _is_section(kind) and target.table_field is None and target.field is None:
            plugins = _plugin_sections(kind)
            names = [n for n, f in kind.model_fields.items() if not f.exclude]
            names += [n for n in plugins if n not in names]
            if part not in names:
                raise _error(here, "unknown key" + did_you_mean(part, names))
            schema.append(part)
            if part not in kind.model_fields:  # a plug-in's section
                values = {row: _plugin_section(v, part, plugins[part]) for row, v in values.items()}
                kind = plugins[part]
                target = _Target(key, "", kind, values)
                continue
            field = kind.model_fields[part]
            values = {row: getattr(v, part) for row, v in values.items()}
            section, kind = kind, field.annotation
            if _section_class(kind) is not None:
                target = _Target(key, "", kind, values)
            elif _row_class(kind) is not None:
                target = _Target(key, "", kind, values, section=section, table_field=field)
            else:
                target = _Target(key, "", kind, values, section=section, field=field, name=part)
        elif target.table_field is not None:
            rows = {row: v for value in values.values() for row, v in value.items()}
            if part.isupper():
                schema.append(_placeholder(target.table_field))
                values = {str(row): v for row, v in rows.items()}
            else:
                schema.append(part)
                row_name = _placeholder(target.table_field).lower()
                values = {"": rows[_row_key(here, part, kind, rows, row_name)]}
            kind = _row_class(kind)
            target = _Target(key, "", kind, values)
        else:
            raise _error(here, f"'{'.'.join(parts[:depth])}' is a value, not a section")
    target.schema_path = ".".join(schema)
    if target.field is not None and parts[0] == "platforms" and "" in target.values:
        # a value of one platform row: the row's preset may set it
        preset = config.platforms[parts[1]].preset  # type: ignore[attr-defined]
        if preset is not None:
            target.preset = (preset, _get(PlatformConfig(preset=preset), parts[2:]))
    return target


def _row_key(here: str, part: str, table: Any, rows: Mapping[Any, Any], row_name: str) -> Any:
    """Return the row a path part names in a table, or raise naming the rows there are."""
    int_keys = typing.get_args(table)[0] is int
    shown = f"the {row_name} rows are {', '.join(str(row) for row in rows)}"
    if int_keys:
        if not part.isdigit():
            raise _error(here, f"table keys here are whole numbers ({shown})")
        row: Any = int(part)
    else:
        row = part
    if row in rows:
        return row
    close = closest_name(part, [str(r) for r in rows])
    hint = f"; did you mean {close!r}?" if close else ""
    raise _error(here, f"no {row_name} {part!r} in this config{hint} ({shown})")


def _explain_value(target: _Target, where: str) -> str:
    key = ConfigKey(target.schema_path, target.section, target.name)  # type: ignore[arg-type]
    lines = [target.path]
    if key.description:
        lines.append(f"  {_plain(key.description)}")
    lines.append("")
    rows = [("type", key.kind), ("unit", key.unit or "(not given)")]
    rows.append(("default", _value_text(key, target, where)))
    rows.append(("bounds", key.bounds or "none"))
    rows.append(("source", key.source or "(not given)"))
    summary = _summary(target.section)
    if summary:
        section_path = target.schema_path.rpartition(".")[0]
        rows.append(("section", f"{section_path}: {summary}" if section_path else summary))
    lines += [f"  {label:<8} {text}" for label, text in rows]
    return "\n".join(lines)


def _value_text(key: ConfigKey, target: _Target, where: str) -> str:
    if "" in target.values:  # one row, or no table
        value = target.values[""]
        notes = []
        if target.preset is not None:
            name, preset = target.preset
            same = preset == value
            notes.append(f"the {name} preset's value" + ("" if same else f": {show_value(preset)}"))
        if key.has_default:
            same = key.default == value
            notes.append("the schema's default" + ("" if same else f": {show_value(key.default)}"))
        else:
            notes.append("no schema default: a row must give it")
        return f"{show_value(value)} {where} ({'; '.join(notes)})"
    rows = ", ".join(f"{row} {show_value(value)}" for row, value in target.values.items())
    schema = show_value(key.default) if key.has_default else "none (a row must give it)"
    return f"{schema} (the schema's); {where}: {rows}"


def _explain_section(target: _Target, where: str) -> str:
    path = target.path
    if target.table_field is not None:
        field = target.table_field
        rows = {row: v for value in target.values.values() for row, v in value.items()}
        row_class = _row_class(target.kind)
        lines = [f"{path}: a table of {_placeholder(field).lower()} rows"]
        if field.description:
            lines.append(f"  {_plain(field.description)}")
        lines.append(f"  rows {where}: {', '.join(str(r) for r in rows) or 'none'}")
        lines.append(f"  each row's keys ({path}.{_placeholder(field)}.KEY):")
        lines += ["  " + line for line in _child_lines(row_class, None)]
        lines.append(f"For one row: socialsim config --explain {path}.{next(iter(rows), 'ROW')}")
        return "\n".join(lines)
    section = target.kind
    summary = _summary(section)
    lines = [f"{path}: {summary}" if summary else path]
    value = target.values.get("")
    lines += _child_lines(section, value)
    if "" not in target.values:
        lines.append(f"  rows {where}: {', '.join(target.values)}")
    first = next(iter(_visible_fields(section)), "KEY")
    lines.append(f"For one key: socialsim config --explain {path}.{first}")
    return "\n".join(lines)


def _child_lines(section: type[BaseModel], value: Any) -> list[str]:
    lines = []
    for name, field in _visible_fields(section).items():
        child = _section_class(field.annotation)
        row = _row_class(field.annotation)
        if child is not None:
            n = sum(1 for _ in _walk(child, ""))
            lines.append(f"  {name}: a section ({n} keys): {_summary(child)}")
        elif row is not None:
            rows = "" if value is None else ", ".join(str(r) for r in getattr(value, name))
            lines.append(
                f"  {name}: a table of {_placeholder(field).lower()} rows"
                + (f" ({rows})" if rows else "")
                + f": {_first_sentence(field.description or '')}"
            )
        else:
            key = ConfigKey(name, section, name)
            unit = f" ({key.unit})" if key.unit else ""
            if value is not None:
                shown = f" = {show_value(getattr(value, name))}"
            else:
                shown = f" = {show_value(key.default)}" if key.has_default else ""
            lines.append(f"  {name}{shown}{unit}: {_first_sentence(key.description)}")
    if _is_section(section) and issubclass(section, ModelConfig):
        for name in _plugin_sections(section):
            lines.append(f"  {name}: the section of the installed plug-in {name!r}")
    return lines


def _visible_fields(section: type[BaseModel]) -> dict[str, FieldInfo]:
    return {name: f for name, f in section.model_fields.items() if not f.exclude}


def _plugin_sections(kind: Any) -> dict[str, Any]:
    extra = getattr(kind, "extension_fields", None)
    return extra() if callable(extra) else {}


def _plugin_section(config: Any, name: str, model: Any) -> Any:
    sections = getattr(config, "extensions", {}) or {}
    return sections.get(name) or model()


def _error(path: str, rule: str) -> ConfigError:
    return ConfigError([Problem(path, rule)], "--explain")


# --------------------------------------------------------------------------- the reference


def reference_markdown(root: type[BaseModel] = ModelConfig) -> str:
    """Return the config reference: every key with its type, unit, default, bounds and source.

    MyST Markdown (the documentation's ``reference/config`` page includes it):
    a heading per section with the section's docstring, then one entry per
    key. A key in a table's rows shows the default world's value in each row;
    a platform key shows the schema's default and the value of each preset
    that sets another.

    Parameters
    ----------
    root : pydantic model class
        The schema, :class:`~socialsim.config.schema.ModelConfig` by default.

    Returns
    -------
    str
    """
    world = root()
    out: list[str] = []
    groups: dict[str, list[ConfigKey]] = {}
    for key in config_keys(root):
        groups.setdefault(key.path.rpartition(".")[0], []).append(key)
    presets = {name: PlatformConfig(preset=name) for name in PRESETS}
    for section_path, keys in groups.items():
        section = keys[0].section
        depth = len([p for p in section_path.split(".") if not p.isupper()])
        out.append(f"(config-{_anchor(section_path)})=")
        out.append(f"{'#' * min(1 + depth, 4)} `{section_path}`\n")
        doc = _doc_markdown(section)
        if doc:
            out.append(doc + "\n")
        if section_path == "platforms.PLATFORM":
            out.append(_preset_table(root, presets) + "\n")
        for key in keys:
            out.append(_key_markdown(key, world, presets) + "\n")
    return "\n".join(out).rstrip() + "\n"


def _key_markdown(key: ConfigKey, world: BaseModel, presets: dict[str, Any]) -> str:
    facts = [f"**type** `{key.kind}`", f"**unit** {_md(key.unit)}"]
    facts.append(f"**default** {_default_markdown(key, world, presets)}")
    facts.append(f"**bounds** `{key.bounds}`" if key.bounds else "**bounds** none")
    lines = [
        f"(config-{_anchor(key.path)})=",
        f"`{key.path}`",
        f": {_md(key.description)}",
        "",
        f"  {' · '.join(facts)}",
    ]
    if key.source:
        lines += ["", f"  **source** {_md(key.source)}"]
    return "\n".join(lines)


def _default_markdown(key: ConfigKey, world: BaseModel, presets: dict[str, Any]) -> str:
    parts = key.path.split(".")
    if parts[0] == "platforms":
        text = f"`{show_value(key.default)}`"
        values = {name: _get(row, parts[2:]) for name, row in presets.items()}
        others = [f"{n} `{show_value(v)}`" for n, v in values.items() if v != key.default]
        same = [name for name, value in values.items() if value == key.default]
        if others:
            text += f"; in the presets: {', '.join(others)}"
            if same:
                text += f"; {', '.join(same)}: the default"
        else:
            text += " in every preset"
        return text
    placeholder = next((i for i, p in enumerate(parts) if p.isupper()), None)
    if placeholder is None:
        return f"`{show_value(key.default)}`"
    table = _get(world, parts[:placeholder])
    rows = ", ".join(
        f"{row} `{show_value(_get(value, parts[placeholder + 1 :]))}`"
        for row, value in table.items()
    )
    if key.has_default:
        return f"`{show_value(key.default)}` for a new row; in the default world: {rows}"
    return f"in the default world: {rows} (a new row must give it)"


def _preset_table(root: type[BaseModel], presets: dict[str, Any]) -> str:
    """Return a table of the platform keys each shipped preset sets to other than the default."""
    keys = [key for key in config_keys(root) if key.path.startswith("platforms.PLATFORM.")]
    lines = [
        "The shipped presets (`socialsim/config/presets/*.yaml`, sources in each file's "
        "header) set these keys to other than their defaults (– : the default):",
        "",
        "| key | " + " | ".join(f"`{name}`" for name in presets) + " |",
        "|---|" + "---|" * len(presets),
    ]
    for key in keys:
        rest = key.path.split(".")[2:]
        values = [_get(row, rest) for row in presets.values()]
        if all(value == key.default for value in values):
            continue
        cells = ["–" if v == key.default else f"`{show_value(v)}`" for v in values]
        lines.append(f"| `{'.'.join(rest)}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _get(node: Any, parts: list[str]) -> Any:
    for part in parts:
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


# --------------------------------------------------------------------------- text helpers


def show_value(value: Any) -> str:
    """Return a config value as a YAML reader would write it: ``true``, ``null``, ``[1, 2]``.

    Examples
    --------
    >>> show_value(True), show_value(None), show_value((0.15, 0.06)), show_value({4: 0.3})
    ('true', 'null', '[0.15, 0.06]', '{4: 0.3}')
    >>> show_value("")
    '""'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if value == "":
        return '""'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, BaseModel):
        return "{...}"
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 10_000:
        return f"{int(value):,}"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    return str(value)


def _bounds_text(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                parts.append(f"{sign} {_number(value)}")
        if isinstance(item, annotated_types.MinLen) and item.min_length:
            parts.append(f"at least {item.min_length} item{'s' * (item.min_length != 1)}")
        if isinstance(item, annotated_types.MaxLen):
            parts.append(f"at most {item.max_length} items")
    order = {">=": 0, ">": 0, "<=": 1, "<": 1}
    parts.sort(key=lambda p: order.get(p.split(" ")[0], 2))
    return ", ".join(parts)


def _type_text(kind: Any) -> str:
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is Literal:
        choices = [repr(a) for a in args]
        return " or ".join(choices) if len(choices) < 3 else ", ".join(choices)
    if isinstance(kind, UnionType) or origin is typing.Union:
        options = [_type_text(a) for a in args if a is not type(None)]
        text = " or ".join(options)
        return f"{text} or null" if type(None) in args else text
    if origin in (tuple, list):
        return f"list of {_type_text(args[0])}" if args else "list"
    if kind is Any:
        return "any"
    if origin in (Mapping, dict) or (origin is not None and _is_mapping(origin)):
        return f"table {{{_type_text(args[0])}: {_type_text(args[1])}}}"
    if isinstance(kind, type):
        return kind.__name__
    return str(kind)


def _is_mapping(origin: Any) -> bool:
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _section_class(kind: Any) -> type[BaseModel] | None:
    return kind if _is_section(kind) else None


def _row_class(kind: Any) -> type[BaseModel] | None:
    """Return the row section of a table of sections (``Mapping[int, TierConfig]``), or None."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is not None and _is_mapping(origin) and len(args) == 2 and _is_section(args[1]):
        return args[1]
    return None


def _is_section(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _placeholder(field: FieldInfo | None) -> str:
    row = _extra(field).get("row", "key") if field is not None else "key"
    return str(row).upper()


def _anchor(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def _summary(section: Any) -> str:
    doc = inspect.getdoc(section) or ""
    if section is BaseModel or doc == inspect.getdoc(BaseModel):
        return ""
    return _plain(doc.split("\n\n")[0].replace("\n", " "))


def _first_sentence(text: str) -> str:
    text = _plain(text)
    match = re.search(r"\.(\s|$)", text)
    return text[: match.start() + 1] if match else text


def _plain(text: str) -> str:
    """RST markup out: ``literal`` and :role:`~a.b.c` become plain words."""
    text = re.sub(r":[a-z:]+:`~?(?:[^`<]*<)?([^`>]+)>?`", lambda m: m.group(1).split(".")[-1], text)
    return text.replace("``", "")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    """Escape text for Markdown, so it is shown as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _doc_markdown(section: type[BaseModel]) -> str:
    """Return a section's docstring as Markdown, up to its first numpydoc section (Examples)."""
    doc = inspect.getdoc(section) or ""
    if not doc or doc == inspect.getdoc(BaseModel):
        return ""
    doc = re.split(r"\n[A-Z][a-z]+\n-{3,}\n", "\n" + doc)[0].strip()
    out = []
    for i, piece in enumerate(re.split(r"``(.+?)``", doc)):
        if i % 2:
            out.append(f"`{piece}`")
            continue
        piece = re.sub(
            r":[a-z:]+:`~?(?:[^`<]*<)?([^`>]+)>?`",
            lambda m: f"`{m.group(1).split('.')[-1]}`",
            piece,
        )
        out.append(re.sub(r"([\[\]<>|])", r"\\\1", piece))
    return "".join(out)
