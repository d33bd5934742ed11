"""Malformed configs, specs and arguments, generated: each is one short, named error.

Every document here starts valid (the fully resolved default config, a small
spec) and gets exactly one mutation at a key path hypothesis picks: an unknown
(misspelt) key, a value of the wrong type, a number out of its range, tier
shares that do not sum to one, a platform preset that does not exist, a design
with nothing to vary, reversed bounds, an unknown design kind. Whole files that
are not configs at all (binary, broken YAML, an empty file, a list, python
tags, duplicate keys) are generated too. Each goes through the real command
line in-process (``socialsim config``, ``socialsim run``, ``socialsim sweep
--dry-run``), which must exit 2 with no traceback and a message of the form
``FILE: key.path: rule, got VALUE`` naming the file, the mutated key path and
the offending value. One mutation gives one problem, so one line: a line more
would be a second problem the user did not cause.
"""

from __future__ import annotations

import atexit
import copy
import math
import shutil
import string
import tempfile
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from socialsim.cli import main
from socialsim.config.platforms import PRESETS
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError
from socialsim.experiment.spec import DESIGN_KINDS
from tests.integration.test_cli_sweep import SPEC as CLI_SPEC

# Deterministic (derandomize, no example database) so that CI sees the same examples on
# every run; function-scoped fixtures (capsys) are fine, every example resets them.
FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

DEFAULT: dict[str, Any] = yaml.safe_load(ModelConfig().to_yaml())
"""The fully resolved default config, as the YAML file a user would start from."""

# the command-line tests' valid spec; its quick variant matters here: a spec's own mistakes
# must be named at their own key, not under a variant
SPEC: dict[str, Any] = {**CLI_SPEC, "name": "bad"}

# Mappings whose keys are data (rows), not schema: any new key there is a new row.
TABLES = {"tiers", "categories", "price_ladder", "platforms"}

# One scratch directory for every example (tmp_path is per test, not per example).
_WORK = Path(tempfile.mkdtemp(prefix="socialsim-bad-input-"))
atexit.register(shutil.rmtree, _WORK, ignore_errors=True)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # a full config, 60 times over


# --------------------------------------------------------------------------- helpers


def cli(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    """Run the command in-process; return its exit status and what it wrote to stderr."""
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code
    return code, capsys.readouterr().err


def write(doc: Any, name: str) -> Path:
    path = _WORK / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    elif isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    else:
        text = yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
    return path


def assert_one_named_error(
    code: int, err: str, path: Path, key: str | None, value: Any = ..., lines: int = 1
) -> None:
    """Exit 2, no traceback, at most `lines` lines naming file, key path and value.

    `value` is the offending value (``...`` for none, as for an unknown key), or a
    :class:`Shown` text the message must hold instead.
    """
    assert code == 2, err
    assert "Traceback" not in err, err
    shown = err.strip().splitlines()
    assert 1 <= len(shown) <= lines, err
    assert shown[0].startswith("socialsim: error: "), err
    where = f"{path}: {key}: " if key else f"{path}: "
    assert where in shown[0], f"{where!r} not in {err!r}"
    if isinstance(value, Shown):
        assert value in shown[0], f"{value!r} not in {err!r}"
    elif value is not ...:
        # a prefix of the repr: long values are shortened in messages
        assert repr(value)[:20] in shown[0], f"{value!r} not in {err!r}"


class Shown(str):
    """Text a message must hold in place of a value's repr (a rule across several keys)."""


def dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def schema_at(path: tuple[Any, ...]) -> tuple[Any, Any]:
    """Return (FieldInfo or None, annotation) of the config value at a key path."""
    kind: Any = ModelConfig
    info = None
    for part in path:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            info = kind.model_fields[part]
            kind = info.annotation
        else:  # a table row or a list item
            tuple_item = typing.get_origin(kind) is tuple
            info, kind = None, typing.get_args(kind)[0 if tuple_item else -1]
    return info, kind


def nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a nested document (list items included), parents first."""
    found = [path] if path else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += nodes(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += nodes(value, (*path, i))
    return found


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    get(doc, path[:-1])[path[-1]] = value
    return doc


def numberlike(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


PATHS = nodes(DEFAULT)
LEAVES = [p for p in PATHS if not isinstance(get(DEFAULT, p), dict | list)]
NUMBERS = [
    p
    for p in LEAVES
    if isinstance(p[-1], str) and type(get(DEFAULT, p)) in (int, float)  # not list items
]
DICTS = [p for p in PATHS if isinstance(get(DEFAULT, p), dict)]
# Sections, whose keys are the schema's (table rows included): a new key there is unknown.
SECTIONS = [p for p in [(), *DICTS] if get(DEFAULT, p) and (not p or p[-1] not in TABLES)]
ITEMS = [p for p in PATHS if isinstance(p[-1], int) and not isinstance(p[-2], int)]

words = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
junk_text = st.text(alphabet=string.ascii_letters + " -_", min_size=1, max_size=12).filter(
    lambda t: not numberlike(t)
)


@st.composite
def misspelt(draw: st.DrawFn, key: str, taken: set[str]) -> str:
    """A near miss of `key` that is not one of `taken`."""
    i = draw(st.integers(0, len(key) - 1))
    edits = [
        key[:i] + key[i + 1 :],  # a letter dropped
        key[:i] + key[i] + key[i:],  # a letter doubled
        key[:i] + key[i + 1 : i + 2] + key[i : i + 1] + key[i + 2 :],  # two swapped
        key + "s",
        key[:i] + draw(st.sampled_from("aeiouxz")) + key[i + 1 :],
    ]
    choice = draw(st.sampled_from([e for e in edits if e and e not in taken] or [key + "_x"]))
    return choice


def wrong_types(annotation: Any, value: Any) -> st.SearchStrategy[Any]:
    """Values of a type the key does not take (None only where None is not allowed)."""
    nullable = type(None) in typing.get_args(annotation)
    options: list[st.SearchStrategy[Any]] = [
        st.lists(st.integers(0, 9), min_size=1, max_size=3),
        st.dictionaries(words, st.integers(0, 9), min_size=1, max_size=2),
    ]
    if not nullable:
        options.append(st.none())
    if isinstance(value, bool):
        options += [st.integers(0, 9), junk_text]
    elif isinstance(value, int | float) or (value is None and int in typing.get_args(annotation)):
        options += [st.booleans(), junk_text]
        if isinstance(value, int) or value is None:
            options.append(st.sampled_from([0.5, 1.5, 2.25]))  # not whole numbers
    elif isinstance(value, str) or value is None:
        options += [st.booleans(), st.integers(0, 9), st.floats(0, 1)]
        if typing.get_origin(annotation) is typing.Literal:
            options.append(words.filter(lambda w: w not in typing.get_args(annotation)))
    elif isinstance(value, dict):
        options = [st.integers(0, 9), junk_text, st.booleans(), st.lists(st.integers(0, 9))]
        options += [] if nullable else [st.none()]
    return st.one_of(options)


def out_of_range(info: Any, annotation: Any) -> list[Any]:
    """Numbers the key's declared bounds refuse, NaN and infinity included."""
    whole = annotation is int or int in typing.get_args(annotation)
    values: list[Any] = [math.nan, math.inf, -math.inf]
    if whole:
        values += [10**30, -(10**30), 2**63]
    step = 1 if whole else 0.5
    for bound in getattr(info, "metadata", []):
        name = type(bound).__name__
        if name == "Ge":
            values.append(bound.ge - step)
        elif name == "Gt":
            values.append(bound.gt)
        elif name == "Le":
            values.append(bound.le + step)
        elif name == "Lt":
            values.append(bound.lt)
    return values


# --------------------------------------------------------------------------- configs


@st.composite
def config_mutations(draw: st.DrawFn) -> tuple[Any, str | None, Any]:
    """A default config with one mistake: (document, key path to name, value to show)."""
    kind = draw(
        st.sampled_from(
            ["unknown key", "wrong type", "out of range", "shares", "preset", "item", "section"]
        )
    )
    if kind == "unknown key":
        where = draw(st.sampled_from(SECTIONS))
        section = get(DEFAULT, where)
        key = draw(misspelt(draw(st.sampled_from(sorted(section))), set(section)))
        doc = put(DEFAULT, (*where, key), 1) if where else {**DEFAULT, key: 1}
        return doc, dotted((*where, key)), ...
    if kind == "wrong type":
        where = draw(st.sampled_from(LEAVES))
        value = draw(wrong_types(schema_at(where)[1], get(DEFAULT, where)))
        return put(DEFAULT, where, value), dotted(where), value
    if kind == "out of range":
        where = draw(st.sampled_from(NUMBERS))
        value = draw(st.sampled_from(out_of_range(*schema_at(where))))
        return put(DEFAULT, where, value), dotted(where), value
    if kind == "shares":
        if draw(st.booleans()):
            tier = draw(st.sampled_from(sorted(DEFAULT["population"]["tiers"])))
            old = DEFAULT["population"]["tiers"][tier]["share"]
            share = draw(st.floats(0, 1).filter(lambda s: abs(s - old) > 1e-5))
            doc = put(DEFAULT, ("population", "tiers", tier, "share"), share)
            return doc, "population.tiers", Shown("tier shares must sum to 1, got ")
        part = draw(st.sampled_from(["head", "mid", "koc"]))
        old = DEFAULT["campaign"]["split"][part]
        share = draw(st.floats(0, 1).filter(lambda s: abs(s - old) > 1e-5))
        doc = put(DEFAULT, ("campaign", "split", part), share)
        return doc, "campaign.split", Shown("shares must sum to 1, got ")
    if kind == "preset":
        platform = draw(st.sampled_from(sorted(DEFAULT["platforms"])))
        name = draw(words.filter(lambda w: w not in PRESETS))
        return (
            put(DEFAULT, ("platforms", platform, "preset"), name),
            (f"platforms.{platform}.preset"),
            name,
        )
    if kind == "item":  # one number in a list (commission rates, C2M steps)
        where = draw(st.sampled_from(ITEMS))
        value = draw(st.sampled_from([math.nan, math.inf, True, "abc", None, [1]]))
        return put(DEFAULT, where, value), dotted(where), value
    # a whole section, table or table row of the wrong type
    where = draw(st.sampled_from(DICTS))
    value = draw(wrong_types(schema_at(where)[1], get(DEFAULT, where)))
    return put(DEFAULT, where, value), dotted(where), value


def one(path: tuple[Any, ...], value: Any) -> tuple[Any, str, Any]:
    """A config mutation at `path`, for the examples of bugs once found."""
    return put(DEFAULT, path, value), dotted(path), value


@FAST
@given(mutation=config_mutations(), command=st.sampled_from(["config", "run"]))
# true read as 1, 'yes' as true, a huge count, a float too big for any count
@example(one(("population", "n_consumers"), True), "config")
@example(one(("network", "mean_degree"), False), "config")
@example(one(("run", "record_orders"), "yes"), "config")
@example(one(("run", "record_orders"), 1), "config")
@example(one(("influencers", "n_kols"), 10**30), "config")
@example(one(("catalogue", "categories", "beauty", "n_products"), 1e30), "config")
@example(one(("run", "seed"), 2**64), "run")
# NaN in a list also gave a second, spurious 'at least 1 item' line
@example(one(("platforms", "pinduoduo", "micro_stores", "commission_rates", 0), math.nan), "config")
@example(one(("platforms", "pinduoduo", "c2m", "thresholds", 1), True), "config")
@example(one(("population", "n_consumers"), 2.5), "config")
def test_a_config_with_one_mistake_is_one_named_line(capsys, mutation, command):
    doc, key, value = mutation
    path = write(doc, "world.yaml")
    args = [command, str(path)]
    if command == "run":  # refused before anything runs or is written
        args += ["--steps", "0", "--out", str(_WORK / "never"), "--no-dashboard"]
    code, err = cli(capsys, args)
    assert_one_named_error(code, err, path, key, value)
    assert not (_WORK / "never").exists()


def _duplicate_key_text(section: str, key: str) -> str:
    return f"{section}:\n  {key}: 1\n  {key}: 2\n"


not_a_config = st.one_of(
    st.binary(min_size=1, max_size=64).filter(lambda b: not _is_mapping(b)),
    st.sampled_from(
        [
            "",
            "\n\n",
            "# only a comment\n",
            "population: [1, 2\n",
            "population: {n_consumers: 5\n",
            "population:\n\tn_consumers: 5\n",
            "]]]\n",
            "- population\n- network\n",
            "42\n",
            "just some words\n",
            "!!python/object/apply:os.system ['echo owned']\n",
            "population: !!python/object/apply:os.system ['echo owned']\n",
            "run: !!python/name:os.system\n",
            "a: 1\n---\nb: 2\n",
        ]
    ),
    st.builds(
        _duplicate_key_text,
        st.sampled_from(["population", "network", "run"]),
        st.sampled_from(["n_consumers", "mean_degree", "steps"]),
    ),
)


def _is_mapping(data: bytes) -> bool:
    try:
        return isinstance(yaml.safe_load(data), dict)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError):
        return False


@FAST
@example(b"\x00")  # refused by the YAML reader itself, once a bare ReaderError
@example("population: {n_consumers: 5000, n_consumers: 6000}\n")
@given(
    document=not_a_config
    | st.sampled_from(
        [
            "population:\n  n_consumers: 99999999999999999999999999999999999\n",
            "population:\n  n_consumers: 1e400\n",  # YAML reads a string, not infinity
            "run:\n  seed: 1e400\n",
        ]
    )
)
def test_a_file_that_is_not_a_config_is_one_named_line(capsys, document):
    path = write(document, "junk.yaml")
    code, err = cli(capsys, ["config", str(path)])
    assert_one_named_error(code, err, path, None)


def test_nothing_in_a_config_is_evaluated(capsys):
    flag = _WORK / "evaluated"
    path = write(f"run: !!python/object/apply:os.system ['touch {flag}']\n", "evil.yaml")
    code, err = cli(capsys, ["config", str(path)])
    assert_one_named_error(code, err, path, None)
    assert "not valid YAML" in err and not flag.exists()


def test_debug_shows_the_traceback_of_a_config_error():
    path = write({"population": {"n_consumers": -1}}, "debug.yaml")
    with pytest.raises(ConfigError, match=r"population\.n_consumers: "):
        main(["--debug", "config", str(path)])


# --------------------------------------------------------------------------- specs


@st.composite
def spec_mutations(draw: st.DrawFn) -> tuple[Any, str | None, Any]:
    """A small valid spec with one mistake: (document, key path to name, value to show)."""
    kind = draw(
        st.sampled_from(
            [
                "unknown key",
                "wrong type",
                "out of range",
                "empty design",
                "reversed bounds",
                "design kind",
                "design value",
                "base key",
                "base value",
                "preset",
            ]
        )
    )
    spec = copy.deepcopy(SPEC)
    if kind == "unknown key":
        key = draw(misspelt(draw(st.sampled_from(sorted(spec))), set(spec)))
        return {**spec, key: 1}, key, ...
    if kind == "wrong type":
        key = draw(st.sampled_from(["name", "seed", "steps", "replications", "design", "base"]))
        kinds = wrong_types(type(spec[key]), spec[key])
        value = draw(kinds.filter(lambda v: v is not None or key != "steps"))  # None: run.steps
        return {**spec, key: value}, key, value
    if kind == "out of range":
        key, value = draw(
            st.sampled_from(
                [
                    ("seed", -1),
                    ("seed", 2**64),
                    ("seed", math.nan),
                    ("steps", -1),
                    ("replications", 0),
                    ("replications", -3),
                    ("replications", True),
                ]
            )
        )
        return {**spec, key: value}, key, value
    if kind == "empty design":
        design_kind = draw(st.sampled_from(DESIGN_KINDS))
        field = {"grid": "parameters", "zip": "parameters", "scenarios": "scenarios"}.get(
            design_kind, "bounds"
        )
        design = {"kind": design_kind, field: {}}
        if field == "bounds":
            design["samples"] = 4
        return {**spec, "design": design}, f"design.{field}", {}
    if kind == "reversed bounds":
        design_kind = draw(st.sampled_from(["random", "lhs", "sobol", "morris"]))
        low = draw(st.floats(1, 20))
        high = draw(st.floats(0.5, 20).filter(lambda h: h <= low))
        design = {
            "kind": design_kind,
            "bounds": {"network.mean_degree": [low, high]},
            "samples": 4,
        }
        return {**spec, "design": design}, "design.bounds.network.mean_degree", ...
    if kind == "design kind":
        name = draw(words.filter(lambda w: w not in DESIGN_KINDS))
        design = {**spec["design"], "kind": name}
        return {**spec, "design": design}, "design.kind", name
    if kind == "design value":
        value = draw(wrong_types(float, 6.0))
        design = {"kind": "grid", "parameters": {"network.mean_degree": [6, value]}}
        return {**spec, "design": design}, "design.parameters.network.mean_degree[1]", value
    # a sweep refuses run.* keys in base outright (it sets them itself), with no value to show
    configurable = [p for p in NUMBERS if p[0] != "run"]
    if kind == "base key":
        where = draw(st.sampled_from(configurable))
        near = draw(misspelt(where[-1], set(map(str, get(DEFAULT, where[:-1])))))
        key = dotted((*where[:-1], near))
        return {**spec, "base": {**spec["base"], key: 1}}, f"base.{key}", ...
    if kind == "base value":
        where = draw(st.sampled_from(configurable))
        value = draw(st.sampled_from(out_of_range(*schema_at(where))))
        base = {**spec["base"], dotted(where): value}
        return {**spec, "base": base}, f"base.{dotted(where)}", value
    platform = draw(st.sampled_from(PRESETS))
    name = draw(words.filter(lambda w: w not in PRESETS))
    base = {**spec["base"], f"platforms.{platform}.preset": name}
    return {**spec, "base": base}, f"base.platforms.{platform}.preset", name


@FAST
@given(mutation=spec_mutations())
# a validator's own message held '@' or 'got VALUE' twice; the kind named the whole design
@example(({**SPEC, "name": "a@b: c"}, "name", "a@b: c"))
@example(({**SPEC, "seed": True}, "seed", True))
@example(({**SPEC, "design": {"kind": "gird", "parameters": {}}}, "design.kind", "gird"))
@example(({**SPEC, "design": {"parameters": {"a": [1]}}}, "design.kind", ...))
@example(
    (
        {
            **SPEC,
            "design": {"kind": "lhs", "bounds": {"network.mean_degree": [6, True]}, "samples": 4},
        },
        "design.bounds.network.mean_degree.1",
        True,
    )
)
@example(
    (
        {
            **SPEC,
            "design": {"kind": "sobol", "bounds": {"network.mean_degree": [6, 9]}, "samples": 3},
        },
        "design.samples",
        3,
    )
)
def test_a_spec_with_one_mistake_is_one_named_line(capsys, mutation):
    doc, key, value = mutation
    path = write(doc, "spec.yaml")
    code, err = cli(capsys, ["sweep", str(path), "--dry-run", "--out", str(_WORK / "sweep")])
    assert_one_named_error(code, err, path, key, value)
    assert not (_WORK / "sweep").exists()


@FAST
@given(document=not_a_config)
def test_a_file_that_is_not_a_spec_is_one_named_line(capsys, document):
    path = write(document, "junk-spec.yaml")
    code, err = cli(capsys, ["sweep", str(path), "--dry-run", "--out", str(_WORK / "sweep")])
    assert_one_named_error(code, err, path, None)


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--steps", "x"], "argument --steps: must be a whole number, got 'x'"),
        (["run", "--seed", "-2"], "argument --seed: must be >= 0, got -2"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["run", "--steps"], "argument --steps: expected one argument"),
        (["sweep", "s.yaml", "--workers", "two"], "argument --workers: must be a whole number"),
        (["sweep", "s.yaml", "--workers", "0"], "argument --workers: must be >= 1, got 0"),
        (["sweep", "s.yaml", "--executor", "mpi"], "argument --executor: invalid choice: 'mpi'"),
        (["sweep", "s.yaml", "--dry-rn"], "unrecognized arguments: --dry-rn"),
        (["sweep"], "the following arguments are required: SPEC"),
    ],
)
def test_bad_arguments_are_two_lines_naming_the_command(capsys, args, fragment):
    code, err = cli(capsys, args)
    command = args[0]
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(f"socialsim {command}: error: ") and fragment in lines[0], err
    assert lines[1] == f"(see 'socialsim {command} --help')"


def test_an_unknown_command_is_two_lines(capsys):
    code, err = cli(capsys, ["swep", "spec.yaml"])
    assert code == 2
    assert err.splitlines()[0].startswith("socialsim: error: argument COMMAND: invalid choice")
    assert err.splitlines()[1:] == ["(see 'socialsim --help')"]


@FAST
@given(
    flag=st.sampled_from(["--steps", "--seed"]),
    text=st.text(alphabet=string.ascii_letters + string.digits + " .,+e", min_size=1, max_size=8),
)
def test_any_bad_number_for_a_flag_is_two_lines(capsys, flag, text):
    try:
        ok = int(text) >= 0
    except ValueError:
        ok = False
    if ok or text.startswith("-"):  # valid, or read by argparse as another option
        return
    code, err = cli(capsys, ["run", flag, text, "--out", str(_WORK / "never")])
    assert code == 2 and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"socialsim run: error: argument {flag}: ")
