"""Exceptions raised by socialsim.

Every error a user can cause with a config, a spec or a command-line argument is
a :class:`ConfigError`. It carries one :class:`Problem` per bad value, each
naming the key path, the rule that was broken and the value that broke it, so
the message can be shown as is, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_LISTED_PROBLEMS", "ConfigError", "Problem"]

_MISSING = object()

MAX_LISTED_PROBLEMS = 20
"""A :class:`ConfigError`'s message lists at most this many problems, then says how many more."""


@dataclass(frozen=True)
class Problem:
    """One invalid value in a config.

    Parameters
    ----------
    path : str
        Dotted key path of the value, e.g. ``"population.tiers.3.share"``.
        Empty for a problem with the document as a whole.
    rule : str
        The rule the value broke, phrased for a reader ("must be >= 1").
    value : object, optional
        The offending value; omitted for missing keys.
    """

    path: str
    rule: str
    value: Any = _MISSING

    @property
    def has_value(self) -> bool:
        """Whether the problem carries the offending value."""
        return self.value is not _MISSING

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        if self.value is _MISSING:
            return f"{where}{self.rule}"
        return f"{where}{self.rule}, got {_short_repr(self.value)}"


class ConfigError(ValueError):
    """A config, spec or argument that is not valid.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; validation reports them all at once.
    source : str, optional
        Where the config came from (a file name, ``--set``), shown first.

    The message has one line per problem, at most :data:`MAX_LISTED_PROBLEMS`
    of them, then a line saying how many more there are (all are kept in
    ``problems``).

    Examples
    --------
    >>> err = ConfigError([Problem("population.n_consumers", "must be >= 1", 0)])
    >>> print(err)
    population.n_consumers: must be >= 1, got 0
    >>> many = ConfigError([Problem(f"k{i}", "unknown key") for i in range(23)], "f.yaml")
    >>> print(str(many).splitlines()[-2:])
    ['f.yaml: k19: unknown key', 'f.yaml: ... and 3 more problems']
    """

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        lines = [f"{prefix}{p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        more = len(self.problems) - MAX_LISTED_PROBLEMS
        if more > 0:
            lines.append(f"{prefix}... and {more:,} more problem{'s' * (more != 1)}")
        return "\n".join(lines) if lines else f"{prefix}invalid configuration"

    def with_source(self, source: str) -> ConfigError:
        """Return the same error attributed to `source` (a file name, say)."""
        return ConfigError(self.problems, source=source)


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
