"""Writing files safely, and saying why a write failed.

Used wherever socialsim writes: a run's outputs, a sweep's store, the report
and the command line.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "os_error_text", "temporary_name"]


def temporary_name(path: Path) -> Path:
    """Return a fresh hidden name next to `path` (``.NAME.<hex>.tmp``), for writing it whole.

    In the same directory, since a rename is atomic only within one file system;
    unlike ``mkstemp``, the file gets the usual permissions.

    Examples
    --------
    >>> name = temporary_name(Path("out/steps.parquet"))
    >>> name.parent == Path("out"), name.name.startswith(".steps.parquet."), name.suffix
    (True, True, '.tmp')
    """
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Write `path` through a temporary file in the same directory, then rename it.

    A crash part-way leaves either the old file or none, never a partial one.

    Parameters
    ----------
    path : Path
        The file to write.
    write : callable
        Writes the content to the path it is given (the temporary file).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "a.txt"
    ...     atomic_write(target, lambda p: p.write_text("hello"))
    ...     sorted(p.name for p in Path(tmp).iterdir()), target.read_text()
    (['a.txt'], 'hello')
    """
    tmp_path = temporary_name(path)
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def os_error_text(exc: OSError) -> str:
    """Return ``[Errno N] reason`` for an OS error, without the temporary file names.

    Parameters
    ----------
    exc : OSError
        The error, from Python (``os.replace``) or from Arrow (whose messages
        repeat the number inside a longer text).

    Returns
    -------
    str

    Examples
    --------
    >>> os_error_text(OSError(28, "No space left on device", "/x/.y.tmp"))
    '[Errno 28] No space left on device'
    """
    number = exc.errno
    if isinstance(number, int) and number > 0:
        return f"[Errno {number}] {os.strerror(number)}"
    return str(exc) or type(exc).__name__
