"""The output directory of a calibration or a strategy search: its lock and its manifest.

One process at a time works in a directory (a lock file); the manifest
records the spec and its hash, so that running again resumes the same work
and a different spec pointed at the directory is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from socialsim.errors import ConfigError, Problem, SweepBusyError
from socialsim.experiment.store import package_versions
from socialsim.files import atomic_write

__all__ = ["jsonable", "locked", "open_manifest", "write_json"]


@contextlib.contextmanager
def locked(directory: Path, what: str) -> Iterator[None]:
    """Hold `directory`'s lock while the block runs; refuse if another process holds it.

    Raises
    ------
    SweepBusyError
        If another process is `what` (``"calibrating"``, ``"searching"``) into it.
    """
    with open(directory / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepBusyError(
                f"another process is {what} into {directory}; wait for it, or give another --out"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_manifest(
    path: Path,
    spec: Any,
    digest: str,
    *,
    kind: str,
    source: str | None,
    command: str | None,
) -> str:
    """Write the manifest of new work, or check that existing work is of the same spec.

    Parameters
    ----------
    path : Path
        The manifest file.
    spec : pydantic model
        The spec (its ``name``, ``variant`` and dump are recorded).
    digest : str
        The spec's hash.
    kind : str
        What the directory holds, for the error message (``calibration``).
    source, command : str, optional
        The spec file and the command line.

    Returns
    -------
    str
        When the work started (now, or the recorded start of resumed work).

    Raises
    ------
    ConfigError
        If the directory holds work of a different spec.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if path.exists():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded.get("spec_hash") != digest:
            raise ConfigError(
                [
                    Problem(
                        str(path.parent),
                        f"holds {kind} {recorded.get('name')!r} of a different spec "
                        f"(hash {str(recorded.get('spec_hash'))[:12]}, this spec "
                        f"{digest[:12]}); give another --out, or remove the directory to "
                        "start again",
                    )
                ]
            )
        return str(recorded.get("started_at", now))
    data = {
        "name": spec.name,
        "variant": spec.variant,
        "spec_hash": digest,
        "spec_file": source,
        "command": command or " ".join(sys.argv),
        "started_at": now,
        "versions": {
            **package_versions(),
            "pyabc": version("pyabc"),
            "optuna": version("optuna"),
        },
        "spec": spec.model_dump(mode="json"),
    }
    write_json(path, data)
    return now


def write_json(path: Path, data: Any) -> None:
    """Write `data` as indented JSON, atomically (non-finite numbers become null)."""
    text = json.dumps(jsonable(data), indent=2, allow_nan=False)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def jsonable(value: Any) -> Any:
    """Return `value` with NumPy scalars as Python numbers and non-finite floats as None.

    Examples
    --------
    >>> jsonable({"a": [np.float64(1.5), float("inf")], "b": np.int64(2)})
    {'a': [1.5, None], 'b': 2}
    """
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.floating | np.integer | np.bool_):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
