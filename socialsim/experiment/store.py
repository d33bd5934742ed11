"""The sweep store: one directory per sweep, crash-safe, resumable, readable by any Parquet tool.

Layout::

    DIR/manifest.json            spec, expanded design, run plan, hashes, versions, sessions
    DIR/runs/<run_id>.parquet    one row per finished run (ok or failed)
    DIR/steps/<run_id>.parquet   per-step metrics of each run that finished ok
    DIR/platforms/...            per-step, per-platform metrics (if kept)
    DIR/tiers/...                per-step, per-tier metrics (if kept)
    DIR/orders/...               the order log (if kept)

Every file is written under a hidden temporary name and renamed into place,
so a reader (or a crash) never sees half a file. A run's tables are written
before its row in ``runs``: the ``runs`` part is the commit, and a run counts
as done only once it exists. Parts of a run killed between the two are
orphans; the next session of the sweep deletes them and does the run again,
and :func:`load_sweep` ignores them meanwhile. A write that fails (a full
disk, a permission error) raises :class:`SweepWriteError` after deleting the
parts of that run it had written, so the store holds only whole runs.

The tables read directly in DuckDB (``SELECT * FROM 'DIR/steps/*.parquet'``),
polars (``pl.scan_parquet("DIR/steps/*.parquet")``) and pandas.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from socialsim._version import __version__
from socialsim.errors import ConfigError, Problem
from socialsim.experiment.plan import SweepPlan
from socialsim.experiment.runner import RunOutput
from socialsim.experiment.single_run import atomic_write
from socialsim.experiment.spec import OUTPUT_TABLES

__all__ = [
    "FORMAT_VERSION",
    "SweepBusyError",
    "SweepData",
    "SweepStore",
    "SweepWriteError",
    "load_sweep",
    "machine_description",
    "package_versions",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_LOCK = ".lock"


class SweepBusyError(RuntimeError):
    """Another process is running a sweep into the same directory."""


class SweepWriteError(OSError):
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


def _os_error_text(exc: OSError) -> str:
    """Return ``[Errno N] reason`` for an OS error, without the temporary file names.

    Parameters
    ----------
    exc : OSError
        The error, from Python (``os.replace``) or from Arrow (whose messages
        repeat the number inside a longer text).

    Returns
    -------
    str
    """
    number = exc.errno
    if isinstance(number, int) and number > 0:
        return f"[Errno {number}] {os.strerror(number)}"
    return str(exc) or type(exc).__name__


def package_versions() -> dict[str, str]:
    """Return the versions of Python, socialsim and the packages that decide its numbers."""
    versions = {"python": platform.python_version(), "socialsim": __version__}
    names = ("mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "pydantic", "SALib")
    for name in (*names, "dask", "distributed"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            versions[name] = "not installed"
    return versions


def machine_description() -> dict[str, str]:
    """Return what ran the sweep: operating system, processor architecture, Python build.

    Runs are the same bit for bit on every machine socialsim supports; this is
    recorded so that a reviewer who finds otherwise knows where each session ran.
    """
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "host": socket.gethostname(),
    }


def git_commit() -> str | None:
    """Return socialsim's git commit (``+dirty`` if modified) when run from a checkout."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        # --no-optional-locks: never take the index lock of a checkout someone is working in
        command = ["git", "--no-optional-locks", "-C", str(here), *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        # only if this very file is tracked: an installed copy inside another repository
        # (a virtual environment in a project) must not report that project's commit
        git("ls-files", "--error-unmatch", Path(__file__).name)
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(eq=False)
class SweepStore:
    """A sweep's directory (see the module docstring).

    Parameters
    ----------
    path : Path
        The directory; created by :meth:`initialise`.
    """

    path: Path
    _lock_file: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.path / MANIFEST

    def table_dir(self, name: str) -> Path:
        """Directory holding the part files of table `name`."""
        return self.path / name

    def exists(self) -> bool:
        """Whether the directory already holds a sweep."""
        return self.manifest_path.exists()

    def read_manifest(self) -> dict[str, Any]:
        """Return the manifest.

        Raises
        ------
        ConfigError
            If the directory holds no sweep or the manifest is unreadable.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError([Problem("", "is a file, not a sweep directory")], str(self.path))
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                [Problem("", "holds no sweep (no manifest.json)")], str(self.path)
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                [Problem("manifest.json", f"is not valid JSON ({exc})")], str(self.path)
            ) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically."""
        text = json.dumps(manifest, indent=1, default=str) + "\n"
        atomic_write(self.manifest_path, lambda p: p.write_text(text, encoding="utf-8"))

    def check_can_hold(self, plan: SweepPlan) -> None:
        """Check, changing nothing, that this directory can hold the sweep of `plan`.

        It must not exist yet, be empty (but for scratch files of a killed
        start), or hold the sweep of this very spec.

        Raises
        ------
        ConfigError
            Naming ``--out``: a file, a directory holding something else, or a
            sweep of a different spec.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError([Problem("--out", f"{self.path} is a file, not a directory")])
        if self.exists():
            manifest = self.read_manifest()
            if manifest.get("spec_hash") != plan.spec_hash:
                was = manifest.get("name", "?")
                if manifest.get("variant"):
                    was += f" (variant {manifest['variant']})"
                raise ConfigError(
                    [
                        Problem(
                            "--out",
                            f"{self.path} holds sweep {was!r} of a different spec (spec hash "
                            f"{str(manifest.get('spec_hash'))[:12]}, this spec "
                            f"{plan.spec_hash[:12]}); results of two specs are never mixed: "
                            "choose another --out, or delete that directory to start over",
                        )
                    ]
                )
            return
        if self.path.is_dir() and any(not self._is_scratch(p) for p in self.path.iterdir()):
            raise ConfigError(
                [
                    Problem(
                        "--out",
                        f"{self.path} is not empty and holds no sweep; choose an empty or "
                        "new directory",
                    )
                ]
            )

    def initialise(self, plan: SweepPlan) -> dict[str, Any]:
        """Create the store for `plan`, or check that an existing one holds the same sweep.

        Returns
        -------
        dict
            The manifest.

        Raises
        ------
        ConfigError
            If the directory is not empty and holds no sweep, or holds a
            sweep of a different spec.
        """
        self.check_can_hold(plan)
        if self.exists():
            manifest = self.read_manifest()
            self._make_table_dirs(manifest.get("outputs", ()))
            return manifest
        spec = plan.spec
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": spec.name,
            "variant": spec.variant,
            "description": spec.description,
            "spec_hash": plan.spec_hash,
            "spec": spec.model_dump(mode="json"),
            "base_config": plan.base.model_dump(mode="json"),
            "root_seed": spec.seed,
            "common_random_numbers": spec.crn,
            "replications": spec.replications,
            "steps": plan.base.run.steps,
            "outputs": list(spec.outputs),
            "parameters": list(plan.parameters),
            "design": plan.design_records(),
            "runs": [
                {"run_id": r.run_id, "point": r.point, "replication": r.replication, "seed": r.seed}
                for r in plan.runs
            ],
            "versions": package_versions(),
            "machine": machine_description(),
            "git_commit": git_commit(),
            "created_at": _now(),
            "started_at": None,
            "finished_at": None,
            "sessions": [],
        }
        self.path.mkdir(parents=True, exist_ok=True)
        # The manifest first: a sweep killed before it is written leaves nothing but
        # scratch files, and its directory still counts as empty.
        self.write_manifest(manifest)
        self._make_table_dirs(spec.outputs)
        return manifest

    def _make_table_dirs(self, outputs: Any) -> None:
        # also on a resume: a sweep killed just after writing its manifest has none yet
        for name in ("runs", *outputs):
            self.table_dir(name).mkdir(exist_ok=True)

    def _is_scratch(self, path: Path) -> bool:
        """Whether `path` is the lock or a manifest's temporary file (of a killed start)."""
        return path.name == _LOCK or (
            path.name.startswith(f".{MANIFEST}.") and path.name.endswith(".tmp")
        )

    # ----------------------------------------------------------------- locking

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the sweep's lock: only one process runs a sweep into a directory at a time.

        The lock is an ``flock`` on ``DIR/.lock``, released by the OS when the
        process ends, even if it is killed. (Not available on Windows, where
        this does nothing.)

        Raises
        ------
        SweepBusyError
            If another process holds it.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / _LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SweepBusyError(
                f"{self.path} is in use by a running sweep ({holder}); wait for it to finish "
                "or stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def running(self) -> str | None:
        """Return who holds the lock (``pid N on HOST``), or None if no sweep is running."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return None
        path = self.path / _LOCK
        if not path.exists():
            return None
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "another process"
            fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    # ----------------------------------------------------------------- runs

    def finished(self) -> dict[str, str]:
        """Return run_id -> status (``ok`` or ``failed``) of every run recorded so far."""
        files = self._parts("runs")
        if not files:
            return {}
        try:
            table = ds.dataset(files, format="parquet").to_table(columns=["run_id", "status"])
        except (pa.ArrowInvalid, OSError):
            # a damaged part (from a disk fault, say): read what can be read
            rows = []
            for f in files:
                with contextlib.suppress(pa.ArrowInvalid, OSError):
                    rows.append(pq.read_table(f, columns=["run_id", "status"]))
            table = pa.concat_tables(rows) if rows else None
        if table is None:
            return {}
        return dict(zip(table["run_id"].to_pylist(), table["status"].to_pylist(), strict=True))

    def remove_orphans(self, done: set[str]) -> int:
        """Delete table parts and temporary files of runs not recorded as done; return how many.

        Call it only while holding the :meth:`lock`: the temporary files of a
        running sweep are not stale.
        """
        removed = 0
        for path in self.path.iterdir():
            if path.name != _LOCK and self._is_scratch(path):
                path.unlink(missing_ok=True)
                removed += 1
        for name in (*OUTPUT_TABLES, "runs"):
            folder = self.table_dir(name)
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
                orphan = name != "runs" and path.suffix == ".parquet" and path.stem not in done
                if stale_tmp or orphan:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def write_run(self, row: dict[str, Any], output: RunOutput, schema: pa.Schema) -> None:
        """Write a finished run: its tables first, then its row in ``runs`` (the commit).

        Raises
        ------
        SweepWriteError
            If a file cannot be written (disk full, permission denied). The
            parts of this run written before it are deleted again, so that
            the store holds whole runs only; the runs recorded before are
            untouched.
        """
        run_id = output.run_id
        record = self._run_record(row, output, schema)
        written: list[Path] = []
        for name, table in (*output.tables.items(), ("runs", record)):
            path = self.table_dir(name) / f"{run_id}.parquet"
            try:
                atomic_write(path, lambda p, t=table: pq.write_table(t, p))
            except OSError as exc:
                # No table of an uncommitted run stays behind: a later session would delete
                # it as an orphan, but a reader should not have to wonder about it. (Not on
                # Ctrl-C: an interrupt just after the runs part's rename would delete the
                # tables of a committed run; orphans are safe, so leave them.)
                for part in written:
                    with contextlib.suppress(OSError):
                        part.unlink(missing_ok=True)
                raise SweepWriteError(
                    f"could not write run {run_id} to {path.parent}: {_os_error_text(exc)}",
                    errno=exc.errno,
                    run_id=run_id,
                    path=path,
                ) from exc
            written.append(path)

    @staticmethod
    def _run_record(row: dict[str, Any], output: RunOutput, schema: pa.Schema) -> pa.Table:
        """Return the run's row of ``runs`` as a one-row table."""
        record = dict(row)
        record.update(
            status=output.status,
            error=output.error,
            traceback=output.traceback,
            **output.timing,
        )
        unknown = set(output.outcomes) - set(schema.names)
        if unknown:  # the outcome columns are fixed by the plan; a new one is a bug
            raise RuntimeError(f"outcomes missing from the runs schema: {sorted(unknown)}")
        record.update(output.outcomes)
        return pa.Table.from_pylist([record], schema=schema)

    def _parts(self, name: str) -> list[str]:
        folder = self.table_dir(name)
        if not folder.is_dir():
            return []
        return sorted(
            str(p)
            for p in folder.iterdir()
            if p.suffix == ".parquet" and not p.name.startswith(".")
        )


class SweepData:
    """A sweep's tables as pandas DataFrames, read when first used.

    ``runs`` has every recorded run (ok and failed), ordered by design point
    and replication; the other tables hold the runs that finished ok, in the
    same order, keyed by ``run_id`` (and ``step``). Join them on ``run_id``.

    Attributes
    ----------
    path : Path
    manifest : dict
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._store = SweepStore(self.path)
        self.manifest = self._store.read_manifest()

    def __repr__(self) -> str:
        return f"SweepData({str(self.path)!r}, name={self.manifest.get('name')!r})"

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables this sweep keeps (``runs`` and ``steps`` always)."""
        return ("runs", *self.manifest["outputs"])

    def files(self, name: str) -> str:
        """Return a glob of the table's part files, for DuckDB or polars."""
        return str(self._store.table_dir(name) / "*.parquet")

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per recorded run."""
        frame = _read(self._store._parts("runs"))
        if frame is None:
            return pd.DataFrame(columns=["run_id", "point", "replication", "seed", "status"])
        return frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)

    @cached_property
    def steps(self) -> pd.DataFrame:
        """Per-step metrics, keyed by ``run_id`` and ``step``."""
        return self.table("steps")

    @cached_property
    def platforms(self) -> pd.DataFrame:
        """Per-step, per-platform metrics (if the sweep kept them)."""
        return self.table("platforms")

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """Per-step, per-tier metrics (if the sweep kept them)."""
        return self.table("tiers")

    @cached_property
    def orders(self) -> pd.DataFrame:
        """The order logs (if the sweep kept them)."""
        return self.table("orders")

    def table(self, name: str) -> pd.DataFrame:
        """Return table `name` for the runs that finished ok, in run order.

        Raises
        ------
        KeyError
            If the sweep does not keep that table.
        """
        if name == "runs":
            return self.runs
        if name not in self.tables:
            raise KeyError(
                f"this sweep did not keep the {name!r} table (it kept: {', '.join(self.tables)}); "
                "add it to the spec's outputs"
            )
        ok = self.runs.loc[self.runs["status"] == "ok", "run_id"].tolist()
        rank = {run_id: i for i, run_id in enumerate(ok)}
        folder = self._store.table_dir(name)
        files = [str(folder / f"{run_id}.parquet") for run_id in ok]
        frame = _read([f for f in files if os.path.exists(f)])
        if frame is None:
            return pd.DataFrame(columns=["run_id"])
        order = frame["run_id"].map(rank)
        return (
            frame.assign(_rank=order)
            .sort_values("_rank", kind="stable")
            .drop(columns="_rank")
            .reset_index(drop=True)
        )


def load_sweep(path: str | os.PathLike[str]) -> SweepData:
    """Open a sweep store; its tables load as pandas DataFrames on first use.

    Parameters
    ----------
    path : str or Path
        The sweep's directory.

    Returns
    -------
    SweepData
        ``.runs``, ``.steps`` and, if kept, ``.platforms``, ``.tiers``, ``.orders``;
        ``.manifest`` holds the spec, the design and the versions.

    Raises
    ------
    ConfigError
        If the directory holds no sweep.
    """
    return SweepData(path)


def _read(files: list[str]) -> pd.DataFrame | None:
    if not files:
        return None
    # Parts of one sweep normally share a schema; unify anyway, so that a column present in
    # some parts only (a design that varies the number of tiers) is kept, not dropped.
    schemas = [pq.read_schema(f) for f in files]
    schema = schemas[0] if all(s.equals(schemas[0]) for s in schemas) else _unify(schemas)
    table = ds.dataset(files, schema=schema, format="parquet").to_table()
    return table.to_pandas()


def _unify(schemas: list[pa.Schema]) -> pa.Schema:
    return pa.unify_schemas(schemas, promote_options="permissive")
