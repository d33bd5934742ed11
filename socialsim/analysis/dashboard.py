"""The one-page dashboard of a run: GMV, penetration by tier, orders by channel and source.

Figures are built on :class:`matplotlib.figure.Figure` directly, without
pyplot, so nothing here touches global plotting state or needs a display.
"""

from __future__ import annotations

import os

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from socialsim.analysis.style import series_label, tier_colours
from socialsim.enums import Channel, Source

__all__ = [
    "plot_dashboard",
    "plot_gmv",
    "plot_orders_by",
    "plot_penetration_by_tier",
    "save_dashboard",
]


def plot_gmv(steps: pd.DataFrame, ax: Axes) -> Axes:
    """Plot daily GMV and its 7-day mean.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``step`` and ``gmv``.
    ax : matplotlib.axes.Axes
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax.plot(steps["step"], steps["gmv"], color="0.7", lw=1, label="daily")
    ax.plot(steps["step"], steps["gmv"].rolling(7, min_periods=1).mean(), lw=2, label="7-day mean")
    ax.set(title="GMV", xlabel="day", ylabel="RMB per day")
    ax.legend(frameon=False)
    return ax


def plot_penetration_by_tier(steps: pd.DataFrame, ax: Axes) -> Axes:
    """Plot each tier's share of consumers who have ever bought.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``penetration_t1`` ... columns.
    ax : matplotlib.axes.Axes
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    columns = sorted(
        (c for c in steps.columns if c.startswith("penetration_t")), key=lambda c: int(c[13:])
    )
    colours = tier_colours(len(columns))
    for column, colour in zip(columns, colours, strict=True):
        ax.plot(steps["step"], steps[column], color=colour, lw=2, label=f"tier {column[13:]}")
    ax.set(title="Penetration by tier", xlabel="day", ylabel="share who have bought", ylim=(0, 1))
    ax.legend(frameon=False, ncol=2)
    return ax


def plot_orders_by(steps: pd.DataFrame, ax: Axes, by: str = "channel") -> Axes:
    """Plot daily orders stacked by channel or by source.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``orders_<name>`` columns.
    ax : matplotlib.axes.Axes
        Where to draw.
    by : {"channel", "source"}
        Which split to show.

    Returns
    -------
    matplotlib.axes.Axes
    """
    members = {"channel": Channel, "source": Source}.get(by)
    if members is None:
        raise ValueError(f"by must be 'channel' or 'source', got {by!r}")
    names = [m.name.lower() for m in members if f"orders_{m.name.lower()}" in steps.columns]
    ax.stackplot(
        steps["step"],
        [steps[f"orders_{name}"] for name in names],
        labels=[series_label(name) for name in names],
        alpha=0.85,
    )
    ax.set(title=f"Orders by {by}", xlabel="day", ylabel="orders per day")
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_dashboard(steps: pd.DataFrame, title: str | None = None) -> Figure:
    """Draw the four-panel dashboard of a run.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics, as from ``model.step_metrics()`` or ``steps.parquet``.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(12, 8), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    plot_gmv(steps, a)
    plot_penetration_by_tier(steps, b)
    plot_orders_by(steps, c, "channel")
    plot_orders_by(steps, d, "source")
    if title:
        fig.suptitle(title)
    return fig


def save_dashboard(
    steps: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str | None = None,
    image_format: str | None = None,
) -> None:
    """Draw the dashboard and save it; the format follows the extension unless given."""
    plot_dashboard(steps, title=title).savefig(path, dpi=110, format=image_format)
