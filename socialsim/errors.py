"""Exceptions raised by socialsim: one hierarchy under :class:`SocialsimError`.

Every error a user can cause with a config, a spec or a command-line argument is
a :class:`ConfigError`. It carries one :class:`Problem` per bad value, each
naming the key path, the rule that was broken and the value that broke it, so
the message can be shown as is, without a traceback. The other errors are
about the world outside the config (a full disk, a damaged store, a lost
cluster); their messages too say what happened and what to do, and the command
line shows them in one line.

::

    SocialsimError
    ├── ConfigError (also a ValueError)
    │   └── MemoryLimitError (socialsim.world.memory)
    ├── SweepBusyError
    ├── SweepWriteError (also an OSError)
    ├── OutputWriteError (also an OSError)
    ├── StoreDamagedError
    ├── SweepStoppedError
    └── ExecutorError
        └── ExecutorLostError

Each class is also importable from the module that raises it (for example
``socialsim.experiment.store.SweepWriteError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "ConfigError",
    "ExecutorError",
    "ExecutorLostError",
    "OutputWriteError",
    "Problem",
    "SocialsimError",
    "StoreDamagedError",
    "SweepBusyError",
    "SweepStoppedError",
    "SweepWriteError",
]

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


class SocialsimError(Exception):
    """The base of every error socialsim raises on purpose; its message is written for people.

    Examples
    --------
    >>> issubclass(ConfigError, SocialsimError) and issubclass(SweepWriteError, OSError)
    True
    """


class ConfigError(SocialsimError, ValueError):
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


class SweepBusyError(SocialsimError, RuntimeError):
    """Another process is running a sweep into the same directory."""


class SweepWriteError(SocialsimError, OSError):
    """Writing to a sweep's store failed (a full disk, a permission error): the sweep stopped.

    The runs recorded before it stay intact, and running the same sweep again
    resumes. The message says which run and which table; the OS error is the
    ``__cause__``, and its number is ``errno``.

    Parameters
    ----------
    message : str
        What could not be written, why, and what to do.
    errno : int, optional
        The OS error number (``errno.ENOSPC``, ...), if known.
    run_id : str, optional
        The run being written, if any.
    path : Path, optional
        The file or table directory being written.
    """

    def __init__(
        self,
        message: str,
        *,
        errno: int | None = None,
        run_id: str | None = None,
        path: Path | None = None,
    ) -> None:
        # a single argument: str() is the message alone, not "[Errno N] ..." around it
        super().__init__(message)
        self.errno = errno
        self.run_id = run_id
        self.path = path


class OutputWriteError(SocialsimError, OSError):
    """A run's outputs could not be written (the directory, or one of its files).

    The message names the path and the reason; the OS error is the ``__cause__``
    and its number is ``errno``.

    Parameters
    ----------
    message : str
        What could not be written, why, and what state the directory is left in.
    errno : int, optional
        The OS error number.
    path : Path, optional
        The file or directory concerned.
    """

    def __init__(self, message: str, *, errno: int | None = None, path: Path | None = None) -> None:
        super().__init__(message)
        self.errno = errno
        self.path = path


class StoreDamagedError(SocialsimError, RuntimeError):
    """A sweep's store has damaged or foreign parts (or a damaged manifest): it is not read.

    The message names the first such file, how many there are, and the
    command that repairs the store (the sweep's own command: a resume sets the
    parts aside and runs their runs again).

    Attributes
    ----------
    path : Path
        The sweep's directory.
    problems : list of PartProblem
        Every damaged or foreign part found
        (:class:`socialsim.experiment.store.PartProblem`).
    """

    def __init__(self, message: str, path: Path, problems: list[Any]) -> None:
        super().__init__(message)
        self.path = path
        self.problems = problems


class SweepStoppedError(SocialsimError, RuntimeError):
    """A sweep stopped because its executor could not go on (a lost Dask scheduler).

    No run was recorded as failed for it: the runs in flight stay pending, and
    running the same sweep again resumes. The executor's error is the
    ``__cause__``.
    """


class ExecutorError(SocialsimError, RuntimeError):
    """An executor could not run tasks at all (not a failure of one run)."""


class ExecutorLostError(ExecutorError):
    """An executor stopped working mid-sweep (a lost Dask scheduler): the runs in flight are lost.

    They are not recorded, so they stay pending and a resume runs them.

    Attributes
    ----------
    in_flight : int
        Runs that were running when it happened.
    """

    def __init__(self, message: str, in_flight: int = 0) -> None:
        super().__init__(message)
        self.in_flight = in_flight
