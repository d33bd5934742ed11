"""How a calibration reports itself: a bar per generation with epsilon and acceptance rate."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from socialsim.experiment.progress import format_duration

__all__ = ["CalibrationProgress"]


class CalibrationProgress:
    """A tqdm bar per generation on a terminal, otherwise one line per generation.

    The bar counts accepted candidates of the generation and shows its
    acceptance threshold (epsilon) and acceptance rate so far; lines suit the
    logs of cluster jobs.

    Parameters
    ----------
    stream : file, optional
        Where the progress goes (standard error by default).
    show : bool
        Whether to show anything.
    """

    def __init__(self, stream: TextIO | None = None, *, show: bool = True) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.show = show
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: Any = None
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        """Print one line of progress."""
        if self.show:
            print(text, file=self.stream, flush=True)

    def start_generation(self, t: int, n: int, epsilon: float | None) -> None:
        """Start the bar of generation `t`, which needs `n` accepted candidates."""
        self.started = time.perf_counter()
        if not (self.show and self.tty):
            return
        from tqdm import tqdm

        self.bar = tqdm(
            total=n, desc=_name(t, epsilon), unit="accepted", file=self.stream, leave=True
        )

    def accepted(self, accepted: int, evaluated: int) -> None:
        """One more candidate accepted, out of `evaluated` so far."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"acceptance {accepted / evaluated:.0%}", refresh=False)
            self.bar.update(1)

    def end_generation(self, t: int, accepted: int, evaluated: int, epsilon: float | None) -> None:
        """Close the bar, or print the generation's line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            return
        seconds = format_duration(time.perf_counter() - self.started)
        rate = accepted / evaluated if evaluated else 0.0
        self.say(
            f"{_name(t, epsilon)}: accepted {accepted} of {evaluated} candidates "
            f"({rate:.0%}) in {seconds}"
        )


def _name(t: int, epsilon: float | None) -> str:
    if t < 0:
        return "sample from the prior"
    return f"generation {t}" + ("" if epsilon is None else f", epsilon {epsilon:.4g}")
