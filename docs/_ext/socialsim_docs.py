"""Pages generated from the code when the documentation is built.

- ``_generated/config.md``: every config key with its type, unit, default,
  bounds and source (:func:`socialsim.config.reference.reference_markdown`),
  included by ``reference/config.md``;
- ``_generated/cli.md``: every command and option, from the ``socialsim``
  argument parser itself, included by ``reference/cli.md``;
- ``_generated/spec-*.md``: every key of the experiment, calibration and
  strategy-search specs, from their pydantic models, included by the pages
  on each;
- ``api/``: one page per package, with autodoc of what each public module
  defines among its ``__all__`` (each object once, where it is defined).

Nothing here is kept in git: the pages are written anew on every build, so
they cannot drift from the code.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer

PACKAGE = "socialsim"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator with Sphinx."""
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _generate(app: Sphinx) -> None:
    source = Path(app.srcdir)
    generated = source / "_generated"
    generated.mkdir(exist_ok=True)
    _write(generated / "config.md", config_reference())
    _write(generated / "cli.md", cli_reference())
    for name, model in _spec_models().items():
        _write(generated / f"spec-{name}.md", spec_reference(model))
    api = source / "api"
    api.mkdir(exist_ok=True)
    pages = api_pages()
    for old in api.glob("*.rst"):
        if old.stem not in pages:
            old.unlink()
    for name, text in pages.items():
        _write(api / f"{name}.rst", text)


def _write(path: Path, text: str) -> None:
    # unchanged pages keep their time stamp, so Sphinx does not read them again
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- config


def config_reference() -> str:
    """Return the config reference's body (Markdown)."""
    from socialsim.config.reference import reference_markdown

    return reference_markdown()


# --------------------------------------------------------------------------- specs


def _spec_models() -> dict[str, Any]:
    from socialsim.calibration.spec import CalibrationSpec
    from socialsim.experiment.spec import ExperimentSpec
    from socialsim.strategy.spec import SearchSpec

    return {"experiment": ExperimentSpec, "calibration": CalibrationSpec, "search": SearchSpec}


def spec_reference(model: Any) -> str:
    """Return a table of every key of a spec model: path, type, default, description."""
    lines = [
        "| key | type | default | meaning |",
        "|---|---|---|---|",
        *_spec_rows(model, ""),
    ]
    return "\n".join(lines) + "\n"


def _spec_rows(model: Any, prefix: str) -> list[str]:
    from pydantic import BaseModel

    from socialsim.config.reference import _bounds_text, _plain, _type_text, show_value

    rows = []
    for name, field in model.model_fields.items():
        path = prefix + name
        kind = field.annotation
        sections = [
            k for k in _inner_types(kind) if isinstance(k, type) and issubclass(k, BaseModel)
        ]
        if field.is_required():
            default = "required"
        else:
            value = field.get_default(call_default_factory=True)
            default = "–" if isinstance(value, BaseModel) else f"`{show_value(value)}`"
        meaning = field.description or ""
        bounds = _bounds_text(field)
        if bounds:
            meaning += f" ({bounds})"
        if len(sections) > 1:  # a choice of sections by `kind`
            kinds = ", ".join(f"`{_kind_of(k)}`" for k in sections)
            rows.append(
                f"| `{path}` | a mapping with `kind`: {kinds} | {default} | {_md(meaning)} |"
            )
            for section in sections:
                doc = (inspect.getdoc(section) or "").split("\n\n")[0].replace("\n", " ")
                summary = _plain(doc)
                rows.append(f"| `{path}` with `kind: {_kind_of(section)}` | | | {_md(summary)} |")
                rows += _spec_rows(section, f"{path}.")
            continue
        if sections:
            text = _type_text(kind).replace(sections[0].__name__, "mapping")
            text = text.replace(f"{sections[0].__module__}.mapping", "mapping")
            rows.append(f"| `{path}` | {_md(text)} | {default} | {_md(meaning)} |")
            origin = getattr(kind, "__origin__", None)
            inner = (
                f"{path}[]." if origin is list else f"{path}.KEY." if origin is dict else f"{path}."
            )
            rows += _spec_rows(sections[0], inner)
            continue
        rows.append(f"| `{path}` | {_md(_type_text(kind))} | {default} | {_md(meaning)} |")
    return rows


def _is_model(kind: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _inner_types(kind: Any) -> list[Any]:
    import typing

    args = typing.get_args(kind)
    if not args:
        return [kind]
    return [t for arg in args for t in _inner_types(arg)]


def _kind_of(section: Any) -> str:
    field = section.model_fields.get("kind")
    if field is None:
        return section.__name__
    return " or ".join(str(a) for a in __import__("typing").get_args(field.annotation))


# --------------------------------------------------------------------------- command line

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def cli_reference() -> str:
    """Return every command of ``socialsim`` with its usage and options (Markdown)."""
    from socialsim.cli import build_parser

    os.environ["COLUMNS"] = "90"  # usage lines wrap at this width
    parser = build_parser()
    out = [_parser_markdown(parser, "socialsim", level=2, summary="")]
    for name, sub, summary in _subcommands(parser):
        out.append(_parser_markdown(sub, f"socialsim {name}", level=2, summary=summary))
    return "\n".join(out)


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, Any, str]]:
    for action in parser._actions:  # argparse keeps subcommands in a private list
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, sub, helps.get(name, "")) for name, sub in action.choices.items()]
    return []


def _parser_markdown(parser: Any, title: str, level: int, summary: str) -> str:
    anchor = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    lines = [f"(cli-{anchor})=", f"{'#' * level} `{title}`", ""]
    if summary:
        lines += [f"*{_md(summary)}*", ""]
    if parser.description:
        lines += [_md(parser.description), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, _, helptext in _subcommands(parser):
                lines += [f"[`{name}`](#cli-socialsim-{name})", f": {_md(helptext)}", ""]
            continue
        lines += [f"`{_invocation(action)}`", f": {_md(_help(action))}", ""]
    if parser.epilog:
        lines += [_md(parser.epilog), ""]
    return "\n".join(lines)


def _invocation(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.metavar or action.dest
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    if isinstance(metavar, tuple):
        metavar = " ".join(metavar)
    if action.choices and not action.metavar:
        metavar = "{" + ",".join(map(str, action.choices)) + "}"
    if action.nargs in ("+", "*"):
        metavar = f"{metavar} [{metavar} ...]"
    return ", ".join(f"{option} {metavar}" for option in action.option_strings)


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if "%(" in text:
        text = text % {**vars(action), "prog": ""}
    return text


# --------------------------------------------------------------------------- API


def api_pages() -> dict[str, str]:
    """Return the API pages by file name: an index, and one page per package."""
    modules = _public_modules()
    homes = _homes(modules)
    groups: dict[str, list[str]] = {}
    for name in modules:
        parts = name.split(".")
        group = parts[1] if len(parts) > 1 and _is_package(f"{PACKAGE}.{parts[1]}") else ""
        groups.setdefault(f"{PACKAGE}.{group}" if group else PACKAGE, []).append(name)
    pages = {}
    toc = []
    for group, names in groups.items():
        pages[group] = _group_page(group, names, homes)
        toc.append(f"   {group}")
    pages["index"] = "\n".join(
        [
            "API reference",
            "=============",
            "",
            "What each public module defines, by package: every name of a module's",
            "``__all__`` is documented once, in the module that defines it; a module",
            "that re-exports names lists them with a link. Generated from the docstrings",
            "when the documentation is built.",
            "",
            ".. toctree::",
            "   :maxdepth: 1",
            "",
            *toc,
            "",
        ]
    )
    return pages


def _public_modules() -> list[str]:
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]):
            continue
        names.append(info.name)
    public = []
    for name in sorted(names):
        module = importlib.import_module(name)
        if getattr(module, "__all__", None) is not None:
            public.append(name)
    return public


def _homes(modules: list[str]) -> dict[tuple[str, str], str]:
    """Return where each exported name is documented: (module, name) -> documenting module.

    A class or function is documented in the module that defines it if that
    module exports it, else in the first public module that does; a value (a
    constant, a type alias) where the module's source gives it a docstring.
    """
    exports = {name: list(importlib.import_module(name).__all__) for name in modules}
    homes: dict[tuple[str, str], str] = {}
    first: dict[int, str] = {}
    for name in modules:
        module = importlib.import_module(name)
        try:
            attr_docs = ModuleAnalyzer.for_module(name).find_attr_docs()
        except Exception:  # a module without source
            attr_docs = {}
        for item in exports[name]:
            obj = getattr(module, item, None)
            if _has_home(obj):
                home = obj.__module__
                if home in exports and item in exports[home]:
                    homes[(name, item)] = home
                else:
                    homes[(name, item)] = first.setdefault(id(obj), name)
            elif ("", item) in attr_docs:
                homes[(name, item)] = name
            else:
                homes[(name, item)] = first.setdefault(id(obj), "")
    return homes


def _is_package(name: str) -> bool:
    try:
        return hasattr(importlib.import_module(name), "__path__")
    except ImportError:
        return False


def _group_page(group: str, names: list[str], homes: dict[tuple[str, str], str]) -> str:
    title = f"``{group}``"
    lines = [title, "=" * len(title), ""]
    for name in names:
        module = importlib.import_module(name)
        defined = [item for item in module.__all__ if homes[(name, item)] == name]
        elsewhere = [
            f"{homes[(name, item)]}.{item}"
            for item in module.__all__
            if homes[(name, item)] not in (name, "")
        ]
        if name != group:
            heading = f"``{name}``"
            lines += [heading, "-" * len(heading), ""]
        lines += [f".. automodule:: {name}"]
        lines += [f"   :members: {', '.join(defined)}" if defined else "   :no-members:", ""]
        if elsewhere:
            links = ", ".join(f":py:obj:`~{target}`" for target in elsewhere)
            lines += [f"Also exports {links}.", ""]
    return "\n".join(lines)


def _has_home(obj: Any) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj)
