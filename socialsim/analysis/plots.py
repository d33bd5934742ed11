"""Figures for researchers: replication bands, channel mixes, funnels, inequality, sweeps.

Every function takes tables (pandas), arrays or a networkx graph and an
optional ``ax``; without one it draws on the axes of a new
:class:`matplotlib.figure.Figure` (never pyplot, so nothing touches global
plotting state or needs a display). Every function returns the axes it drew on.

Tables from a sweep (:func:`socialsim.experiment.load_sweep`) carry a
``run_id`` column; the per-step functions then average over runs per step
(and :func:`plot_penetration_bands` adds a confidence band). Confidence
intervals across replications are Student-t intervals of the mean:
``mean ± t((1 + level) / 2, n - 1) · sd / sqrt(n)``, with ``sd`` the sample
standard deviation (``ddof=1``) of the ``n`` runs.

Examples
--------
>>> from socialsim import ModelConfig, SocialCommerceModel
>>> model = SocialCommerceModel(ModelConfig.small(500), rng=1)
>>> model.run(3)
>>> ax = plot_channel_mix(model.step_metrics())
>>> ax.get_title()
'GMV by channel'
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from socialsim.analysis.intervals import half_width
from socialsim.analysis.style import series_label, tier_colours
from socialsim.enums import Channel, Source

__all__ = [
    "MAX_NETWORK_NODES",
    "gini",
    "lorenz_curve",
    "network_layout",
    "plot_channel_mix",
    "plot_group_funnel",
    "plot_group_sizes",
    "plot_livestream_funnel",
    "plot_lorenz",
    "plot_market_shares",
    "plot_network_sample",
    "plot_penetration_bands",
    "plot_response",
    "plot_response_heatmap",
    "plot_sensitivity",
    "sample_graph",
]

MAX_NETWORK_NODES = 2_000
"""The most nodes :func:`plot_network_sample` draws (more are slow to lay out, and unreadable)."""

_MEASURES = {"gmv": ("GMV", "RMB per day"), "orders": ("Orders", "orders per day")}
_PLATFORM_MEASURES = ("gmv", "orders", "buyers", "users", "active_users", "members")


# --------------------------------------------------------------------------- helpers


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    return Figure(layout="constrained").subplots()


def _require(frame: pd.DataFrame, columns: Iterable[str], function: str, needs: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise ValueError(f"{function} needs {needs}; missing column(s): {names}")


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")


def _step_means(steps: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per-step values; the mean over runs per step when the table has ``run_id``."""
    return steps.groupby("step", sort=True)[columns].mean()


def _label(name: str) -> str:
    return series_label(name)


# --------------------------------------------------------------------------- time series


def plot_penetration_bands(
    steps: pd.DataFrame, ax: Axes | None = None, *, level: float = 0.95
) -> Axes:
    """Plot penetration by tier over time: the mean over runs with a confidence band.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``step`` and ``penetration_t1`` ... columns, of one
        run (``model.step_metrics()``) or of several (a sweep's ``steps``, with
        ``run_id``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    level : float
        Confidence level of the band.

    Returns
    -------
    matplotlib.axes.Axes
        One line per tier (the mean over runs at each step) and, with two or more
        runs, one band per tier: the Student-t confidence interval of that mean
        across runs (see the module docstring), not the spread of single runs.

    Raises
    ------
    ValueError
        If ``step`` or every ``penetration_t*`` column is missing, or `level` is
        not in (0, 1).

    Examples
    --------
    >>> steps = pd.DataFrame(
    ...     {
    ...         "run_id": ["a", "a", "b", "b"],
    ...         "step": [1, 2, 1, 2],
    ...         "penetration_t1": [0.1, 0.2, 0.3, 0.4],
    ...     }
    ... )
    >>> ax = plot_penetration_bands(steps)
    >>> ax.lines[0].get_ydata().tolist()
    [0.2, 0.30000000000000004]
    """
    _check_level(level)
    _require(steps, ["step"], "plot_penetration_bands", "a per-step table with 'step'")
    columns = sorted(
        (c for c in steps.columns if c.startswith("penetration_t") and c[13:].isdigit()),
        key=lambda c: int(c[13:]),
    )
    if not columns:
        raise ValueError(
            "plot_penetration_bands needs penetration columns; "
            "missing column(s): 'penetration_t1', ..."
        )
    ax = _new_axes(ax)
    by_step = steps.groupby("step", sort=True)[columns]
    mean, sd, n = by_step.mean(), by_step.std(ddof=1), by_step.count()
    x = mean.index.to_numpy()
    for column, colour in zip(columns, tier_colours(len(columns)), strict=True):
        ax.plot(x, mean[column], color=colour, lw=2, label=f"tier {column[13:]}")
        half = half_width(sd[column], n[column], level)
        if half.notna().any():
            ax.fill_between(
                x, mean[column] - half, mean[column] + half, color=colour, alpha=0.2, lw=0
            )
    runs = steps["run_id"].nunique() if "run_id" in steps.columns else 1
    title = "Penetration by tier"
    if runs > 1:
        title += f" (mean of {runs} runs, {level:.0%} CI)"
    ax.set(title=title, xlabel="day", ylabel="share who have bought", ylim=(0, 1))
    ax.legend(frameon=False, ncol=2)
    return ax


def plot_channel_mix(
    steps: pd.DataFrame,
    ax: Axes | None = None,
    *,
    measure: str = "gmv",
    by: str = "channel",
    stacked: bool = True,
) -> Axes:
    """Plot daily GMV or orders split by channel or by source.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``step`` and the ``<measure>_<name>`` columns
        (``gmv_solo`` ... ``gmv_store``, ``gmv_search`` ... ``gmv_daigou``). With
        ``run_id``, the mean over runs per step is drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    measure : {"gmv", "orders"}
        What to split.
    by : {"channel", "source"}
        :class:`~socialsim.enums.Channel` (how the order was placed) or
        :class:`~socialsim.enums.Source` (what put the product in front of the buyer).
    stacked : bool
        Stacked areas (one collection per member, bottom to top in enum order)
        if true, else one line per member.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If `measure` or `by` is unknown, or a column of the split is missing.

    Examples
    --------
    >>> steps = pd.DataFrame({"step": [1, 2]})
    >>> for channel in ("solo", "group", "livestream", "store"):
    ...     steps[f"orders_{channel}"] = [1, 2]
    >>> ax = plot_channel_mix(steps, measure="orders", stacked=False)
    >>> [line.get_label() for line in ax.lines]
    ['solo', 'group', 'livestream', 'store']
    """
    if measure not in _MEASURES:
        raise ValueError(f"measure must be 'gmv' or 'orders', got {measure!r}")
    members = {"channel": Channel, "source": Source}.get(by)
    if members is None:
        raise ValueError(f"by must be 'channel' or 'source', got {by!r}")
    names = [m.name.lower() for m in members]
    columns = [f"{measure}_{name}" for name in names]
    _require(steps, ["step", *columns], "plot_channel_mix", f"per-step {measure} by {by} columns")
    ax = _new_axes(ax)
    values = _step_means(steps, columns)
    labels = [_label(name) for name in names]
    if stacked:
        ax.stackplot(values.index, values.to_numpy().T, labels=labels, alpha=0.85)
    else:
        for column, label in zip(columns, labels, strict=True):
            ax.plot(values.index, values[column], lw=1.5, label=label)
    title, unit = _MEASURES[measure]
    ax.set(title=f"{title} by {by}", xlabel="day", ylabel=unit)
    ax.legend(frameon=False, loc="upper left", fontsize="small")
    return ax


def plot_market_shares(
    platforms: pd.DataFrame, ax: Axes | None = None, *, measure: str = "gmv"
) -> Axes:
    """Plot each platform's share of GMV (or orders, users...) per step, stacked to 1.

    Parameters
    ----------
    platforms : pandas.DataFrame
        The per-platform table (``model.platform_metrics()`` or a sweep's
        ``platforms``): ``step``, ``platform`` and `measure`. With ``run_id``,
        the measure is summed over runs before shares are taken (pooled shares).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    measure : {"gmv", "orders", "buyers", "users", "active_users", "members"}
        What to share out.

    Returns
    -------
    matplotlib.axes.Axes
        Stacked areas, one per platform (in category order if ``platform`` is
        categorical, else sorted). Steps where the measure is zero on every
        platform (no share is defined) are left out.

    Raises
    ------
    ValueError
        If `measure` is unknown or a column is missing.

    Examples
    --------
    >>> platforms = pd.DataFrame(
    ...     {"step": [1, 1, 2, 2], "platform": ["a", "b", "a", "b"], "gmv": [1.0, 3.0, 2.0, 2.0]}
    ... )
    >>> ax = plot_market_shares(platforms)
    >>> [c.get_label() for c in ax.collections]
    ['a', 'b']
    """
    if measure not in _PLATFORM_MEASURES:
        raise ValueError(f"measure must be one of {_PLATFORM_MEASURES}, got {measure!r}")
    _require(
        platforms,
        ["step", "platform", measure],
        "plot_market_shares",
        f"the per-platform table with 'step', 'platform' and {measure!r}",
    )
    ax = _new_axes(ax)
    table = platforms.pivot_table(
        index="step", columns="platform", values=measure, aggfunc="sum", observed=False
    ).fillna(0.0)
    total = table.sum(axis=1)
    shares = table[total > 0].div(total[total > 0], axis=0)
    ax.stackplot(
        shares.index, shares.to_numpy().T, labels=[str(c) for c in shares.columns], alpha=0.85
    )
    name = _MEASURES.get(measure, (measure.replace("_", " "), ""))[0]
    ax.set(title=f"Market shares ({name})", xlabel="day", ylabel="share", ylim=(0, 1))
    ax.legend(frameon=False, loc="upper left", fontsize="small")
    return ax


# --------------------------------------------------------------------------- funnels


def _run_totals(steps: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Totals over steps; with ``run_id``, the mean over runs of each run's total."""
    if "run_id" in steps.columns:
        return steps.groupby("run_id", sort=False)[columns].sum().mean()
    return steps[columns].sum()


def _bars(ax: Axes, labels: list[str], heights: Sequence[float], colours: list[str]) -> None:
    positions = np.arange(len(labels))
    bars = ax.bar(positions, heights, color=colours)
    ax.bar_label(bars, fmt="{:,.0f}", padding=2)
    ax.set_xticks(positions, labels)


def plot_group_funnel(steps: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Plot the group-buying funnel: groups started, completed and expired, in total.

    Groups still open at the end of the run are neither completed nor expired,
    so the last two bars need not add up to the first.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``groups_started``, ``groups_completed`` and
        ``groups_expired``. With ``run_id``, each bar is the mean over runs of
        the run's total.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Three bars, in that order.

    Raises
    ------
    ValueError
        If a column is missing.

    Examples
    --------
    >>> steps = pd.DataFrame(
    ...     {"groups_started": [5, 5], "groups_completed": [2, 4], "groups_expired": [1, 2]}
    ... )
    >>> [float(p.get_height()) for p in plot_group_funnel(steps).patches]
    [10.0, 6.0, 3.0]
    """
    columns = ["groups_started", "groups_completed", "groups_expired"]
    _require(steps, columns, "plot_group_funnel", "the per-step group-buying counts")
    ax = _new_axes(ax)
    totals = _run_totals(steps, columns)
    _bars(ax, ["started", "completed", "expired"], totals.tolist(), ["C0", "C2", "C3"])
    ax.set(title="Group buying", ylabel="groups")
    return ax


def plot_group_sizes(sizes: pd.Series, ax: Axes | None = None) -> Axes:
    """Plot how many completed groups had each number of members.

    Parameters
    ----------
    sizes : pandas.Series
        Number of groups indexed by members per group, as from
        ``model.group_sizes()``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per group size present.

    Raises
    ------
    TypeError
        If `sizes` is not a pandas Series.

    Examples
    --------
    >>> sizes = pd.Series([7, 2], index=pd.Index([2, 3], name="members"), name="groups")
    >>> [float(p.get_height()) for p in plot_group_sizes(sizes).patches]
    [7.0, 2.0]
    """
    if not isinstance(sizes, pd.Series):
        raise TypeError(
            "plot_group_sizes needs a Series of group counts indexed by members "
            f"(model.group_sizes()), got {type(sizes).__name__}"
        )
    ax = _new_axes(ax)
    sizes = sizes.sort_index()
    ax.bar(sizes.index.to_numpy(), sizes.to_numpy(), color="C0", width=0.8)
    ax.set_xticks(sizes.index.to_numpy())
    ax.set(title="Completed groups by size", xlabel="members", ylabel="groups")
    return ax


def plot_livestream_funnel(
    steps: pd.DataFrame, ax: Axes | None = None, *, orders: pd.DataFrame | None = None
) -> Axes:
    """Plot the livestream funnel: viewers, orders and returns, in total.

    The per-step table counts ``returns`` of every channel together; only the
    order log says which returned orders came from a livestream. So the third
    bar is the livestream orders marked ``returned`` in `orders` when it is
    given (orders returned before the end of the run), and otherwise the
    returns of all channels, labelled and hatched as such.

    Parameters
    ----------
    steps : pandas.DataFrame
        Per-step metrics with ``livestream_viewers``, ``orders_livestream`` and
        ``returns``. With ``run_id``, each bar is the mean over runs of the run's total.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    orders : pandas.DataFrame, optional
        The order log (``model.orders()`` or a sweep's ``orders``) with
        ``channel`` and ``returned`` (and ``run_id`` with a sweep's).

    Returns
    -------
    matplotlib.axes.Axes
        Three bars: viewers, orders, returns.

    Raises
    ------
    ValueError
        If a column is missing.

    Examples
    --------
    >>> steps = pd.DataFrame(
    ...     {"livestream_viewers": [50, 30], "orders_livestream": [4, 2], "returns": [1, 1]}
    ... )
    >>> ax = plot_livestream_funnel(steps)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['viewers', 'orders', 'returns (all channels)']
    """
    columns = ["livestream_viewers", "orders_livestream"]
    needs = "the per-step livestream counts and 'returns'"
    _require(
        steps,
        [*columns, *([] if orders is not None else ["returns"])],
        "plot_livestream_funnel",
        needs,
    )
    ax = _new_axes(ax)
    totals = _run_totals(steps, columns).tolist()
    if orders is not None:
        _require(
            orders, ["channel", "returned"], "plot_livestream_funnel", "the order log as `orders`"
        )
        mask = (orders["channel"].astype(str) == "livestream") & orders["returned"].astype(bool)
        if "run_id" in orders.columns and "run_id" in steps.columns:
            runs = steps["run_id"].nunique()
            returned = float(mask.sum()) / max(runs, 1)
        else:
            returned = float(mask.sum())
        label = "returned"
    else:
        returned = float(_run_totals(steps, ["returns"]).iloc[0])
        label = "returns (all channels)"
    _bars(ax, ["viewers", "orders", label], [*totals, returned], ["C0", "C2", "C3"])
    if orders is None:
        ax.patches[2].set_hatch("//")
    ax.set(title="Livestreams", ylabel="count", yscale="symlog")
    return ax


# --------------------------------------------------------------------------- inequality


def _values(values: ArrayLike, name: str = "values") -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if (array < 0).any():
        raise ValueError(f"{name} must be >= 0, got minimum {array.min()}")
    if array.sum() == 0:
        raise ValueError(f"{name} sum to 0: the Lorenz curve and Gini are undefined")
    return array


def lorenz_curve(values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return the Lorenz curve of non-negative values (incomes, sales, followers).

    Parameters
    ----------
    values : array_like
        Non-negative values, at least one positive.

    Returns
    -------
    x : ndarray
        Cumulative share of the population, ``0, 1/n, ..., 1`` (poorest first).
    y : ndarray
        Cumulative share of the total held by them, from 0 to 1.

    Raises
    ------
    ValueError
        If `values` is empty, not 1-D, negative, not finite or all zero.

    Examples
    --------
    >>> x, y = lorenz_curve([4, 1, 3, 2])
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.1, 0.3, 0.6, 1.0])
    """
    array = np.sort(_values(values))
    x = np.linspace(0.0, 1.0, array.size + 1)
    y = np.concatenate([[0.0], np.cumsum(array) / array.sum()])
    return x, y


def gini(values: ArrayLike) -> float:
    """Return the Gini coefficient of non-negative values.

    Computed as ``2 Σ i·x_(i) / (n Σ x) − (n + 1) / n`` over the values sorted
    ascending (``i = 1..n``), which equals one minus twice the area under
    :func:`lorenz_curve` (trapezoids) and the mean absolute difference over
    twice the mean: 0 when everyone has the same, ``(n − 1) / n`` when one has
    everything.

    Parameters
    ----------
    values : array_like
        Non-negative values, at least one positive.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `values` is empty, not 1-D, negative, not finite or all zero.

    Examples
    --------
    >>> gini([1, 2, 3, 4])
    0.25
    >>> gini([0, 0, 0, 5])
    0.75
    """
    array = np.sort(_values(values))
    n = array.size
    rank = np.arange(1, n + 1)
    return float(2 * (rank * array).sum() / (n * array.sum()) - (n + 1) / n)


def plot_lorenz(incomes: Mapping[str, ArrayLike], ax: Axes | None = None) -> Axes:
    """Plot one Lorenz curve per group, with its Gini coefficient in the legend.

    Parameters
    ----------
    incomes : mapping of str to array_like
        Group name to non-negative values, e.g. ``{"KOLs": model.kol_income()["income"],
        "store owners": owners["income_selling"] + owners["income_recruiting"]}``
        with ``owners = model.store_owners()``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The line of equality (first line) and one curve per group, in the mapping's order.

    Raises
    ------
    ValueError
        If `incomes` is empty or a group's values are invalid (see :func:`lorenz_curve`).

    Examples
    --------
    >>> ax = plot_lorenz({"KOLs": [1, 2, 3, 4]})
    >>> ax.lines[1].get_label()
    'KOLs (Gini 0.25)'
    """
    if not incomes:
        raise ValueError("plot_lorenz needs at least one group of values")
    ax = _new_axes(ax)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="equality")
    for name, values in incomes.items():
        try:
            x, y = lorenz_curve(values)
            g = gini(values)
        except ValueError as error:
            raise ValueError(f"group {name!r}: {error}") from None
        ax.plot(x, y, lw=2, label=f"{name} (Gini {g:.2f})")
    ax.set(
        title="Lorenz curves",
        xlabel="share of population (poorest first)",
        ylabel="share of total",
        xlim=(0, 1),
        ylim=(0, 1),
        aspect="equal",
    )
    ax.legend(frameon=False, loc="upper left")
    return ax


# --------------------------------------------------------------------------- network


def sample_graph(
    graph: nx.Graph, n: int = 200, *, seed: int = 0, method: str = "snowball"
) -> nx.Graph:
    """Return the subgraph induced by a sample of `n` nodes.

    Parameters
    ----------
    graph : networkx.Graph
        The graph to sample (e.g. ``model.graph``).
    n : int
        Nodes to keep; the whole graph if it has no more.
    seed : int
        Seed of the sample's random draws.
    method : {"snowball", "random"}
        ``"snowball"``: breadth-first from a random node, neighbours in random
        order, until `n` nodes are reached (a new random start if a component
        runs out), which keeps local structure (communities, ties).
        ``"random"``: `n` nodes drawn uniformly without replacement, which keeps
        node attributes representative but leaves few edges in a sparse graph.

    Returns
    -------
    networkx.Graph
        A copy of the induced subgraph, attributes included.

    Raises
    ------
    ValueError
        If `n` < 1 or `method` is unknown.

    Examples
    --------
    >>> sub = sample_graph(nx.path_graph(100), 10, seed=1)
    >>> sub.number_of_nodes(), nx.is_connected(sub)
    (10, True)
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if method not in ("snowball", "random"):
        raise ValueError(f"method must be 'snowball' or 'random', got {method!r}")
    nodes = list(graph.nodes)
    if len(nodes) <= n:
        return graph.copy()
    rng = np.random.default_rng(seed)
    if method == "random":
        chosen = [nodes[i] for i in rng.choice(len(nodes), size=n, replace=False)]
        return graph.subgraph(chosen).copy()
    chosen_set: set[Hashable] = set()
    order = rng.permutation(len(nodes))  # start points, used in turn
    for start in order:
        if len(chosen_set) >= n:
            break
        root = nodes[start]
        if root in chosen_set:
            continue
        chosen_set.add(root)
        queue = deque([root])
        while queue and len(chosen_set) < n:
            neighbours = [v for v in graph.neighbors(queue.popleft()) if v not in chosen_set]
            for i in rng.permutation(len(neighbours)):
                if len(chosen_set) >= n:
                    break
                chosen_set.add(neighbours[i])
                queue.append(neighbours[i])
    return graph.subgraph(chosen_set).copy()


def plot_network_sample(
    graph: nx.Graph,
    ax: Axes | None = None,
    *,
    color_by: str | ArrayLike | Mapping[Hashable, Any] | None = "tier",
    n: int = 200,
    seed: int = 0,
    method: str = "snowball",
    layout: Mapping[Hashable, ArrayLike] | None = None,
    palette: Mapping[Any, Any] | None = None,
) -> Axes:
    """Draw a small sample of the social graph with a spring layout.

    Parameters
    ----------
    graph : networkx.Graph
        The social graph (``model.graph``: nodes are consumer indices with
        ``tier``, ``city``, ``community`` and ``role``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    color_by : str, array_like, mapping or None
        A node attribute name (``"tier"``, ``"role"``, ``"community"``), an
        array indexed by node (consumer index, e.g. ``model.state.status``), a
        mapping node → value, or None for one colour. Non-numeric values, and
        numeric ones with at most 12 distinct values, get one colour each and a
        legend entry (``"tier 3"`` for an attribute, the value itself
        otherwise); other numbers a continuous colour map and a colour bar.
    n : int
        Nodes to draw, at most :data:`MAX_NETWORK_NODES`.
    seed : int
        Seed of the sample (see :func:`sample_graph`) and of the layout
        (``networkx.spring_layout(..., seed=seed)``).
    method : {"snowball", "random"}
        How to sample; see :func:`sample_graph`.
    layout : mapping, optional
        Node → (x, y) from :func:`network_layout`: draw those nodes at those
        places instead of sampling and laying out again (`n`, `seed` and
        `method` are then unused). Redrawing a changing colouring on one
        layout keeps the picture still, and skips the spring layout's cost.
    palette : mapping, optional
        Value → colour for categorical colourings: the legend lists the
        values in this order, each with its colour, even when no node has it
        now (so colours stay put as states change).

    Returns
    -------
    matplotlib.axes.Axes
        Edges as one :class:`~matplotlib.collections.LineCollection` (first
        collection), then the nodes: one scatter collection per category, or a
        single one with a colour map.

    Raises
    ------
    ValueError
        If `n` exceeds :data:`MAX_NETWORK_NODES`, a node lacks the `color_by`
        attribute, or a value has no colour in `palette`.

    Examples
    --------
    >>> graph = nx.karate_club_graph()
    >>> ax = plot_network_sample(graph, color_by="club", n=20)
    >>> sum(len(c.get_offsets()) for c in ax.collections[1:])
    20
    """
    position = network_layout(graph, n, seed=seed, method=method) if layout is None else layout
    sub = graph.subgraph(position)
    ax = _new_axes(ax)
    nodes = list(position)
    xy = np.array([position[v] for v in nodes]).reshape(-1, 2)
    segments = [(position[u], position[v]) for u, v in sub.edges]
    ax.add_collection(LineCollection(segments, colors="0.75", linewidths=0.5, zorder=1))
    values = _node_values(sub, nodes, graph, color_by)
    if values is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=12, color="C0", zorder=2)
    else:
        series = pd.Series(values)
        name = color_by if isinstance(color_by, str) else "value"
        if pd.api.types.is_numeric_dtype(series) and series.nunique() > 12:
            points = ax.scatter(
                xy[:, 0], xy[:, 1], s=12, c=series.to_numpy(float), cmap="viridis", zorder=2
            )
            ax.figure.colorbar(points, ax=ax, label=name)
        else:
            if palette is None:
                keys = list(series.unique())
                with contextlib.suppress(TypeError):  # mixed types: keep the order of appearance
                    keys.sort()
                colours = tier_colours(len(keys)) if name == "tier" else None
            else:
                keys, colours = list(palette), list(palette.values())
                unknown = set(series.unique()) - set(keys)
                if unknown:
                    raise ValueError(
                        f"palette has no colour for {sorted(map(str, unknown))}; "
                        f"it covers {[str(k) for k in keys]}"
                    )
            for i, key in enumerate(keys):
                mask = (series == key).to_numpy()
                colour = colours[i] if colours else f"C{i % 10}"
                label = f"{name} {key}" if isinstance(color_by, str) else str(key)
                ax.scatter(xy[mask, 0], xy[mask, 1], s=12, color=colour, label=label, zorder=2)
            ax.legend(frameon=False, fontsize="small", markerscale=1.5)
    ax.autoscale_view()
    ax.set_axis_off()
    how = "" if layout is not None else f" ({method})"
    ax.set_title(f"Social graph: {len(nodes)} of {graph.number_of_nodes():,} nodes{how}")
    return ax


def network_layout(
    graph: nx.Graph, n: int = 200, *, seed: int = 0, method: str = "snowball"
) -> dict[Hashable, np.ndarray]:
    """Sample `n` nodes of `graph` and place them with a spring layout.

    Parameters
    ----------
    graph : networkx.Graph
        The social graph.
    n : int
        Nodes to place, at most :data:`MAX_NETWORK_NODES`.
    seed : int
        Seed of the sample (see :func:`sample_graph`) and of
        ``networkx.spring_layout(..., seed=seed)``.
    method : {"snowball", "random"}
        How to sample; see :func:`sample_graph`.

    Returns
    -------
    dict
        Node → position (an array of x, y), for ``plot_network_sample(layout=...)``.

    Raises
    ------
    ValueError
        If `n` exceeds :data:`MAX_NETWORK_NODES`.

    Examples
    --------
    >>> graph = nx.karate_club_graph()
    >>> layout = network_layout(graph, 10, seed=1)
    >>> ax = plot_network_sample(graph, color_by="club", layout=layout)
    >>> sum(len(c.get_offsets()) for c in ax.collections[1:])
    10
    """
    if n > MAX_NETWORK_NODES:
        raise ValueError(
            f"plot_network_sample draws at most {MAX_NETWORK_NODES:,} nodes, got n={n:,}; "
            "a spring layout of more is slow and unreadable"
        )
    return nx.spring_layout(sample_graph(graph, n, seed=seed, method=method), seed=seed)


def _node_values(
    sub: nx.Graph, nodes: list[Hashable], graph: nx.Graph, color_by: Any
) -> list[Any] | None:
    if color_by is None:
        return None
    if isinstance(color_by, str):
        missing = [v for v in nodes if color_by not in sub.nodes[v]]
        if missing:
            raise ValueError(f"node {missing[0]!r} has no attribute {color_by!r} to colour by")
        return [sub.nodes[v][color_by] for v in nodes]
    if isinstance(color_by, Mapping):
        return [color_by[v] for v in nodes]
    array = np.asarray(color_by)
    if array.ndim != 1 or array.size != graph.number_of_nodes():
        raise ValueError(
            "color_by as an array needs one value per node of the graph "
            f"({graph.number_of_nodes()}), got shape {array.shape}"
        )
    return array[np.asarray(nodes, dtype=np.int64)].tolist()


# --------------------------------------------------------------------------- sweeps


def _ok_runs(runs: pd.DataFrame, columns: list[str], function: str) -> pd.DataFrame:
    _require(runs, columns, function, "the sweep's runs table with the parameter and outcome")
    if "status" in runs.columns:
        runs = runs[runs["status"] == "ok"]
    return runs.dropna(subset=columns)


def plot_response(
    runs: pd.DataFrame,
    parameter: str,
    outcome: str,
    ax: Axes | None = None,
    *,
    level: float = 0.95,
) -> Axes:
    """Plot an outcome against a design parameter: the mean over replications and a band.

    Parameters
    ----------
    runs : pandas.DataFrame
        A sweep's ``runs`` table: one row per run with the `parameter` and
        `outcome` columns. Runs whose ``status`` is not ``"ok"`` and rows with a
        missing value are left out. Runs are grouped by the parameter's value
        alone, so other design parameters are averaged over.
    parameter : str
        The parameter column (a dotted config key, e.g. ``"platforms.pdd.group_size"``).
    outcome : str
        The outcome column (``"gmv"``, ``"penetration"``...).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    level : float
        Confidence level of the band: the Student-t interval of the mean across
        the runs sharing a value (none where a value has a single run).

    Returns
    -------
    matplotlib.axes.Axes
        The line of means (markers at each value) and the band.

    Raises
    ------
    ValueError
        If a column is missing or `level` is not in (0, 1).

    Examples
    --------
    >>> runs = pd.DataFrame({"x": [1, 1, 2, 2], "gmv": [1.0, 3.0, 4.0, 6.0]})
    >>> plot_response(runs, "x", "gmv").lines[0].get_ydata().tolist()
    [2.0, 5.0]
    """
    _check_level(level)
    runs = _ok_runs(runs, [parameter, outcome], "plot_response")
    ax = _new_axes(ax)
    grouped = runs.groupby(parameter, sort=True)[outcome]
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half = half_width(sd, n, level)
    x = mean.index.to_numpy()
    ax.plot(x, mean.to_numpy(), marker="o", lw=2, label="mean")
    if half.notna().any():
        ax.fill_between(x, mean - half, mean + half, alpha=0.25, lw=0, label=f"{level:.0%} CI")
    ax.set(title=f"{outcome} vs {parameter}", xlabel=parameter, ylabel=outcome)
    ax.legend(frameon=False)
    return ax


def plot_response_heatmap(
    runs: pd.DataFrame,
    x: str,
    y: str,
    outcome: str,
    ax: Axes | None = None,
    *,
    cmap: str = "viridis",
    annotate: bool = True,
    level: float = 0.95,
) -> Axes:
    """Plot the mean outcome over a grid of two design parameters as a heat map.

    Parameters
    ----------
    runs : pandas.DataFrame
        A sweep's ``runs`` table (runs not ``"ok"`` and missing values left out).
    x, y : str
        The parameters on the horizontal and vertical axes.
    outcome : str
        The outcome column.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    cmap : str
        Matplotlib colour map.
    annotate : bool
        Write in each cell the number of runs and the half-width of the
        Student-t interval of its mean (``n=5`` over ``±1.2e4``; no half-width
        for a single run), so that colour differences within the noise are
        not read as effects.
    level : float
        Confidence level of those intervals.

    Returns
    -------
    matplotlib.axes.Axes
        One image whose cell ``[i, j]`` is the mean over runs with the i-th value
        of `y` and the j-th value of `x` (both ascending, one tick per value, so
        uneven grids are shown evenly; empty cells blank), and a colour bar.

    Raises
    ------
    ValueError
        If a column is missing or `level` is not in (0, 1).

    Examples
    --------
    >>> runs = pd.DataFrame({"a": [1, 1, 2, 2], "b": [5, 6, 5, 6], "gmv": [1.0, 2.0, 3.0, 4.0]})
    >>> ax = plot_response_heatmap(runs, "a", "b", "gmv")
    >>> ax.images[0].get_array().tolist(), ax.texts[0].get_text()
    ([[1.0, 3.0], [2.0, 4.0]], 'n=1')
    """
    _check_level(level)
    runs = _ok_runs(runs, [x, y, outcome], "plot_response_heatmap")
    ax = _new_axes(ax)
    grid = runs.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean").sort_index(axis=0)
    grid = grid.sort_index(axis=1)
    values = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        interpolation="nearest",
    )
    if annotate:
        _annotate_cells(ax, image, runs, x, y, outcome, grid, level)
    ax.set_xticks(
        np.arange(grid.shape[1]), [f"{v:g}" if _is_number(v) else str(v) for v in grid.columns]
    )
    ax.set_yticks(
        np.arange(grid.shape[0]), [f"{v:g}" if _is_number(v) else str(v) for v in grid.index]
    )
    ax.set(title=f"Mean {outcome}", xlabel=x, ylabel=y)
    ax.figure.colorbar(image, ax=ax, label=outcome)
    return ax


def _annotate_cells(
    ax: Axes,
    image: Any,
    runs: pd.DataFrame,
    x: str,
    y: str,
    outcome: str,
    grid: pd.DataFrame,
    level: float,
) -> None:
    """Write each cell's n and interval half-width, dark on light cells and light on dark."""
    grouped = runs.groupby([y, x])[outcome]
    count, sd = grouped.count(), grouped.std(ddof=1)
    half = half_width(sd, count, level)
    for i, row in enumerate(grid.index):
        for j, column in enumerate(grid.columns):
            n = int(count.get((row, column), 0))
            if n == 0:
                continue
            text = f"n={n}"
            spread = half.get((row, column), np.nan)
            if np.isfinite(spread):
                text += f"\n±{_compact(spread)}"
            red, green, blue, _ = image.cmap(image.norm(grid.iloc[i, j]))
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="black" if light else "white",
            )


def _compact(value: float) -> str:
    """Return a number in at most about five characters: ``1.2e4``, ``1234``, ``0.012``.

    Examples
    --------
    >>> [_compact(v) for v in (12000.0, 1234.4, 56.78, 0.01234, 0.00012, 0.0)]
    ['1.2e4', '1234', '56.8', '0.0123', '1.2e-4', '0']
    """
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1e4 or size < 1e-2:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if size >= 1000:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


# --------------------------------------------------------------------------- sensitivity

_SENSITIVITY_COLUMNS = {
    "sobol": ["parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"],
    "morris": ["parameter", "mu_star", "mu_star_low", "mu_star_high"],
}


def plot_sensitivity(indices: pd.DataFrame, ax: Axes | None = None, *, kind: str = "sobol") -> Axes:
    """Plot sensitivity indices as bars with confidence intervals.

    Parameters
    ----------
    indices : pandas.DataFrame
        One row per parameter, drawn in the table's order. For ``kind="sobol"``:
        ``parameter, S1, S1_low, S1_high, ST, ST_low, ST_high`` (first-order and
        total indices, grouped bars per parameter). For ``kind="morris"``:
        ``parameter, mu_star, mu_star_low, mu_star_high`` (bars of the mean
        absolute elementary effect; ``sigma``, if present, is not drawn).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes if omitted.
    kind : {"sobol", "morris"}
        Which indices.

    Returns
    -------
    matplotlib.axes.Axes
        One set of bars per index (S1 then ST, or mu_star), each a
        :class:`~matplotlib.container.BarContainer` in ``ax.containers`` whose
        ``errorbar`` runs from ``*_low`` to ``*_high``.

    Raises
    ------
    ValueError
        If `kind` is unknown or a column is missing.

    Examples
    --------
    >>> indices = pd.DataFrame(
    ...     {"parameter": ["a"], "mu_star": [2.0], "mu_star_low": [1.5], "mu_star_high": [2.5]}
    ... )
    >>> [float(p.get_height()) for p in plot_sensitivity(indices, kind="morris").patches]
    [2.0]
    """
    columns = _SENSITIVITY_COLUMNS.get(kind)
    if columns is None:
        raise ValueError(f"kind must be 'sobol' or 'morris', got {kind!r}")
    _require(indices, columns, "plot_sensitivity", f"{kind} indices with confidence bounds")
    ax = _new_axes(ax)
    position = np.arange(len(indices))
    names = ["S1", "ST"] if kind == "sobol" else ["mu_star"]
    labels = {"S1": "first order (S1)", "ST": "total (ST)", "mu_star": "μ*"}
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        value = indices[name].to_numpy(dtype=float)
        # clip: a bound on the wrong side of the estimate (it happens with bootstrap CIs)
        low = np.maximum(value - indices[f"{name}_low"].to_numpy(dtype=float), 0)
        high = np.maximum(indices[f"{name}_high"].to_numpy(dtype=float) - value, 0)
        ax.bar(
            position + (i - (len(names) - 1) / 2) * width,
            value,
            width,
            yerr=np.vstack([low, high]),
            capsize=3,
            label=labels[name],
            color=f"C{i}",
        )
    ax.set_xticks(position, indices["parameter"].astype(str).tolist(), rotation=30, ha="right")
    if kind == "sobol":
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set(title="Sobol indices", ylabel="index")
    else:
        ax.set(title="Morris screening", ylabel="μ* (mean |elementary effect|)")
    ax.legend(frameon=False)
    return ax
