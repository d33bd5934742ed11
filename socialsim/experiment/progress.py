"""How a sweep reports itself: progress lines, durations and timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["SweepProgress", "format_duration", "utc_now"]


def utc_now() -> str:
    """Return the time now in UTC, to the second, as ISO 8601 (``2026-12-06T21:43:32+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class SweepProgress:
    """A sweep's progress: a tqdm bar on a terminal, otherwise a line every 30 s.

    The lines are for the logs of cluster jobs. :meth:`update` takes the
    session's summary (its ``failed`` count is shown).

    Parameters
    ----------
    total : int
        Runs to do in this session.
    skipped : int
        Runs recorded by earlier sessions.
    stream : file
        Where the progress goes.
    show : bool or None
        Whether to show it at all (None: yes).
    """

    def __init__(self, total: int, skipped: int, stream: TextIO, show: bool | None) -> None:
        self.total = total
        self.skipped = skipped
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.show = True if show is None else show
        self.bar: Any = None
        self.started = time.perf_counter()
        self.last_line = self.started
        self.finished = 0

    def start(self, description: str) -> None:
        """Say what runs where; on a terminal, start the bar."""
        if not self.show:
            return
        note = f" ({self.skipped} already done)" if self.skipped else ""
        print(f"running {self.total} runs on {description}{note}", file=self.stream)
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="run", file=self.stream, dynamic_ncols=True)

    def update(self, summary: Any) -> None:
        """Count one more run done (ok, failed or lost)."""
        self.finished += 1
        if not self.show:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(f"failed {summary.failed}", refresh=False)
            self.bar.update(1)
            return
        now = time.perf_counter()
        if now - self.last_line >= 30 or self.finished == self.total:
            self.last_line = now
            elapsed = now - self.started
            eta = elapsed / self.finished * (self.total - self.finished)
            print(
                f"{self.finished}/{self.total} runs ({summary.failed} failed), "
                f"{format_duration(elapsed)} elapsed, about {format_duration(eta)} left",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()


def format_duration(seconds: float) -> str:
    """Return a duration for people: ``42 s``, ``3 min 05 s``, ``2 h 07 min``.

    Examples
    --------
    >>> format_duration(42.4), format_duration(185), format_duration(7620)
    ('42 s', '3 min 05 s', '2 h 07 min')
    """
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
