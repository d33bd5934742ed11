"""The interactive page: a Mesa ``SolaraViz`` of a small world, with live charts.

``socialsim viz`` serves :func:`Page` with Solara (``solara run
socialsim.analysis.viz``). The sidebar's controls set the main parameters of
the world: consumers, which platforms run, the group-buying discount, the feed
every platform shows, the KOLs' livestream commission and the seed; *Reset*
builds a new world from them, *Step* and *Play* advance it a day at a time.
The charts follow the run: daily GMV, penetration by tier, GMV by channel, a
sample of the social graph coloured by each consumer's state, and the totals.

Each browser session gets its own model; nothing is shared between sessions.
Importing this module needs Solara (installed with socialsim) but builds nothing.
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure

with warnings.catch_warnings():
    # Mesa's own page trips Solara's hook check at import (a warning for Mesa, not for users).
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    from mesa.visualization import SolaraViz

from socialsim.analysis.dashboard import plot_gmv, plot_penetration_by_tier
from socialsim.analysis.plots import network_layout, plot_channel_mix, plot_network_sample
from socialsim.config.loading import load_config
from socialsim.config.schema import ModelConfig
from socialsim.enums import ShopperStatus
from socialsim.errors import ConfigError, Problem
from socialsim.model import SocialCommerceModel

__all__ = [
    "CONFIG_ENV",
    "FEED_CHOICES",
    "PAGE_CONSUMERS",
    "InteractiveSocialCommerceModel",
    "Page",
    "channel_chart",
    "draw_network_state",
    "gmv_chart",
    "network_view",
    "page_components",
    "page_config",
    "page_parameters",
    "penetration_chart",
    "totals",
]

CONFIG_ENV = "SOCIALSIM_VIZ_CONFIG"
"""Environment variable naming the YAML config the page starts from (set by ``socialsim viz``)."""

PAGE_CONSUMERS = 5_000
"""Consumers in the page's world unless a config says otherwise: small enough to step live."""

FEED_CHOICES = ("as preset", "none", "social", "algorithmic")
"""The feed control: keep each platform's own feed, or give every platform one kind."""

NETWORK_NODES = 300
"""Consumers drawn in the network view (a snowball sample, laid out once per world)."""

_STATUS_COLOURS = {"offline": "0.7", "online": "tab:blue", "customer": "tab:orange"}
_STATUS_NAMES = np.array([s.name.lower() for s in ShopperStatus])


# --------------------------------------------------------------------------- the world


def page_config(
    base: ModelConfig | None = None,
    *,
    n_consumers: int | None = None,
    platforms: Mapping[str, bool] | None = None,
    group_discount: float | None = None,
    feed: str = "as preset",
    kol_commission: float | None = None,
    seed: int | None = None,
) -> ModelConfig:
    """Apply the page's controls to a config.

    Parameters
    ----------
    base : ModelConfig, optional
        The world to start from; the default world if omitted.
    n_consumers : int, optional
        Consumers. KOLs, KOCs, store owners and daigou are scaled in
        proportion, so that a small world keeps the base's mix (at least one
        KOL if the base has any).
    platforms : mapping of str to bool, optional
        Which of the base's platforms run; missing names stay on.
    group_discount : float, optional
        ``group_buying.discount`` of every platform that sells in groups.
    feed : {"as preset", "none", "social", "algorithmic"}
        ``feed.kind`` of every platform, or each platform's own.
    kol_commission : float, optional
        ``livestream.commission`` of every platform: the streamer's share of
        livestream sales.
    seed : int, optional
        ``run.seed``.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        If a platform is unknown, none is left on, `feed` is not a choice, or a
        value breaks the config's rules (the message names the key).

    Examples
    --------
    >>> cfg = page_config(n_consumers=5_000, platforms={"kaola": False}, group_discount=0.4)
    >>> cfg.population.n_consumers, cfg.influencers.n_kols, "kaola" in cfg.platforms
    (5000, 10, False)
    >>> cfg.platforms["pinduoduo"].group_buying.discount
    0.4
    """
    base = ModelConfig() if base is None else base
    data = base.to_dict()
    on = dict(platforms or {})
    unknown = sorted(set(on) - set(base.platforms))
    if unknown:
        raise ConfigError(
            [Problem("platforms", f"must be among {sorted(base.platforms)}", unknown)]
        )
    data["platforms"] = {k: v for k, v in data["platforms"].items() if on.get(k, True)}
    if not any(row["enabled"] for row in data["platforms"].values()):
        raise ConfigError([Problem("platforms", "at least one platform must be on", "none")])
    if feed not in FEED_CHOICES:
        raise ConfigError([Problem("feed", f"must be one of {list(FEED_CHOICES)}", feed)])
    for platform in data["platforms"].values():
        if group_discount is not None and platform["group_buying"]["enabled"]:
            platform["group_buying"]["discount"] = group_discount
        if feed != "as preset":
            platform["feed"]["kind"] = feed
        if kol_commission is not None:
            platform["livestream"]["commission"] = kol_commission
    if n_consumers is not None and n_consumers != base.population.n_consumers:
        _scale_head_counts(data, n_consumers / base.population.n_consumers)
        data["population"]["n_consumers"] = n_consumers
    if seed is not None:
        data["run"]["seed"] = seed
    return ModelConfig.from_dict(data, source="the page's controls")


def _scale_head_counts(data: dict[str, Any], factor: float) -> None:
    counts = [("influencers", "n_kols"), ("influencers", "n_kocs")]
    counts += [("stores", "n_owners"), ("daigou", "n_shoppers")]
    for section, key in counts:
        old = data[section][key]
        data[section][key] = max(round(old * factor), 1 if old and key == "n_kols" else 0)


class InteractiveSocialCommerceModel(SocialCommerceModel):
    """A :class:`~socialsim.model.SocialCommerceModel` built from the page's controls.

    Mesa's page rebuilds the model from keyword arguments on *Reset*, so this
    subclass takes the controls as keywords (see :func:`page_config`) and
    stops after the config's ``run.steps`` days.

    Parameters
    ----------
    base : ModelConfig, optional
        The world the controls modify; the default world if omitted.
    n_consumers : int
        Consumers (head counts scale with them).
    group_discount, kol_commission : float, optional
        See :func:`page_config`; the base's values if omitted.
    feed : str
        One of :data:`FEED_CHOICES`.
    seed : int or str
        Root seed (a whole number; text from the page's seed box is accepted).
    on_error : {"raise", "show"}
        What controls that make no valid world do: raise :class:`ConfigError`
        (the default), or, on the page, build a placeholder world that does
        not run and keep the message in :attr:`control_error` for the page to
        show, so that one bad *Reset* does not take the page down.
    scenario : object, optional
        Ignored: Mesa 3.5's page passes its default ``Scenario`` on *Reset*;
        here the controls and the config are the scenario.
    **kwargs : bool
        ``<platform name>=False`` leaves that platform out. (Named ``kwargs``
        because Mesa 3.3's page checks the constructor's signature by name.)

    Attributes
    ----------
    control_error : str or None
        Why the controls make no valid world (with ``on_error="show"``), else None.

    Raises
    ------
    ConfigError
        If the controls make an invalid world (see :func:`page_config`) and
        `on_error` is ``"raise"``.

    Examples
    --------
    >>> model = InteractiveSocialCommerceModel(n_consumers=1_000, seed=3, douyin=False)
    >>> model.step()
    >>> model.steps, model.world.n_consumers, "douyin" in model.config.platforms
    (1, 1000, False)
    """

    def __init__(
        self,
        *,
        base: ModelConfig | None = None,
        n_consumers: int = PAGE_CONSUMERS,
        group_discount: float | None = None,
        feed: str = "as preset",
        kol_commission: float | None = None,
        seed: int | str = 1,
        on_error: str = "raise",
        scenario: Any = None,
        **kwargs: bool,
    ) -> None:
        if on_error not in ("raise", "show"):
            raise ValueError(f"on_error must be 'raise' or 'show', got {on_error!r}")
        self.control_error: str | None = None
        try:
            config = page_config(
                base,
                n_consumers=int(n_consumers),
                platforms=kwargs,
                group_discount=group_discount,
                feed=feed,
                kol_commission=kol_commission,
                seed=_whole_number(seed),
            )
        except ConfigError as exc:
            if on_error == "raise":
                raise
            # A tiny stand-in world that never runs; the page shows the message instead.
            config = page_config(base, n_consumers=500, seed=0)
            self.control_error = str(exc)
        super().__init__(config)
        if self.control_error is not None:
            self.running = False

    def step(self) -> None:
        """Advance one day; stop after ``run.steps`` days. A stand-in world does not move."""
        if self.control_error is not None:
            self.running = False
            return
        super().step()
        if self.steps >= self.config.run.steps:
            self.running = False

    @cached_property
    def network_layout(self) -> dict[Any, np.ndarray]:
        """Positions of the consumers the network view draws, fixed for this world."""
        return network_layout(self.graph, NETWORK_NODES, seed=self.seed or 0)


def _whole_number(text: int | str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ConfigError([Problem("seed", "must be a whole number", text)]) from None
    if value < 0:
        raise ConfigError([Problem("seed", "must be >= 0", value)])
    return value


# --------------------------------------------------------------------------- the controls


def page_parameters(base: ModelConfig | None = None) -> dict[str, Any]:
    """Return the page's controls, in Mesa's ``model_params`` form, with the base's values.

    Parameters
    ----------
    base : ModelConfig, optional
        The world the page starts from; the default world (at
        :data:`PAGE_CONSUMERS` consumers) if omitted.

    Returns
    -------
    dict
        Control name → Mesa input description (``{"type": "SliderInt", ...}``),
        plus ``base`` and ``on_error="show"`` as fixed parameters. The group
        discount and the KOL commission start at the base's largest (one value
        for every platform, as the page's world uses them).

    Examples
    --------
    >>> params = page_parameters()
    >>> params["n_consumers"]["value"], params["pinduoduo"]["type"]
    (5000, 'Checkbox')
    """
    n = PAGE_CONSUMERS if base is None else base.population.n_consumers
    base = ModelConfig() if base is None else base
    rows = list(base.active_platforms.values())
    grouped = [r.group_buying.discount for r in rows if r.group_buying.enabled]
    streamed = [r.livestream.commission for r in rows if r.livestream.enabled]
    params: dict[str, Any] = {
        "base": base,
        "on_error": "show",
        "n_consumers": {
            "type": "SliderInt",
            "label": "Consumers",
            "value": n,
            "min": 500,
            "max": max(50_000, n),
            "step": 500,
        },
    }
    for name in base.active_platforms:
        params[name] = {"type": "Checkbox", "label": f"{name} on", "value": True}
    params["group_discount"] = {
        "type": "SliderFloat",
        "label": "Group discount (group-buying platforms)",
        "value": max(grouped, default=0.25),
        "min": 0.0,
        "max": 0.6,
        "step": 0.05,
    }
    params["feed"] = {
        "type": "Select",
        "label": "Feed (every platform)",
        "value": FEED_CHOICES[0],
        "values": list(FEED_CHOICES),
    }
    params["kol_commission"] = {
        "type": "SliderFloat",
        "label": "KOL commission on livestream sales",
        "value": max(streamed, default=0.2),
        "min": 0.0,
        "max": 0.5,
        "step": 0.05,
    }
    params["seed"] = {
        "type": "InputText",
        "label": "Seed",
        "value": str(1 if base.run.seed is None else base.run.seed),
    }
    return params


# --------------------------------------------------------------------------- the charts


def _figure(draw: Callable[[Axes], Any], width: float = 5.5, height: float = 3.6) -> Any:
    fig = Figure(figsize=(width, height), layout="constrained")
    draw(fig.subplots())
    return solara.FigureMatplotlib(fig, format="png", dpi=90)


def _over_the_run(model: SocialCommerceModel, plot: Callable[[pd.DataFrame, Axes], Any]) -> Any:
    def draw(ax: Axes) -> None:
        plot(_steps(model), ax)
        # the whole run's days from the start, so the axes stay put as the run grows
        ax.set_xlim(0, max(model.config.run.steps, model.steps))

    return _figure(draw)


def _steps(model: SocialCommerceModel) -> pd.DataFrame:
    steps = model.step_metrics()
    if len(steps):
        return steps
    # Before the first step: a day-0 row of zeros, so every chart has its axes and legend.
    return pd.DataFrame(np.zeros((1, steps.shape[1])), columns=steps.columns)


def gmv_chart(model: SocialCommerceModel) -> Any:
    """Draw daily GMV and its 7-day mean."""
    return _over_the_run(model, plot_gmv)


def penetration_chart(model: SocialCommerceModel) -> Any:
    """Draw each tier's share of consumers who have bought, from zero on day 0."""

    def from_day_zero(steps: pd.DataFrame, ax: Axes) -> Axes:
        start = pd.DataFrame(np.zeros((1, steps.shape[1])), columns=steps.columns)
        steps = pd.concat([start, steps[steps["step"] > 0]], ignore_index=True)
        return plot_penetration_by_tier(steps, ax)

    return _over_the_run(model, from_day_zero)


def channel_chart(model: SocialCommerceModel) -> Any:
    """Draw daily GMV stacked by channel (solo, group, livestream, store)."""
    return _over_the_run(
        model, lambda steps, ax: plot_channel_mix(steps, ax, measure="gmv", by="channel")
    )


def network_view(model: InteractiveSocialCommerceModel) -> Any:
    """Draw a sample of the social graph, each consumer coloured by offline, online or customer."""
    if model.control_error is not None:
        return _figure(lambda ax: ax.set_axis_off(), width=5.5, height=5.0)
    return _figure(lambda ax: draw_network_state(model, ax), width=5.5, height=5.0)


def draw_network_state(model: InteractiveSocialCommerceModel, ax: Axes) -> Axes:
    """Draw the network view on `ax`: the world's fixed sample, coloured by today's states.

    Parameters
    ----------
    model : InteractiveSocialCommerceModel
        The world (its :attr:`~InteractiveSocialCommerceModel.network_layout` is reused).
    ax : matplotlib.axes.Axes
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One scatter collection per state (offline, online, customer), after the edges.
    """
    layout = model.network_layout
    nodes = np.fromiter(layout, dtype=np.int64, count=len(layout))
    state = dict(zip(layout, _STATUS_NAMES[model.state.status[nodes]], strict=True))
    return plot_network_sample(
        model.graph, ax, color_by=state, layout=layout, palette=_STATUS_COLOURS
    )


def totals(model: SocialCommerceModel) -> Any:
    """Show the world being run (its main parameters) and the run's totals so far."""
    error = getattr(model, "control_error", None)
    if error is not None:
        return solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                "<p><b>These controls make no world</b></p>"
                f"<p style='color:#b00020'>{html.escape(error)}</p>"
                "<p>Change them and press Reset.</p>"
            ),
            classes=["socialsim-totals"],
        )
    summary, config = model.summary(), model.config
    rows = list(config.active_platforms.values())
    discounts = sorted({r.group_buying.discount for r in rows if r.group_buying.enabled})
    world = [
        ("consumers", f"{summary['n_consumers']:,}"),
        (
            "KOLs, KOCs, store owners",
            f"{summary['n_kols']}, {summary['n_kocs']}, {summary['n_store_owners']}",
        ),
        ("platforms", ", ".join(config.active_platforms)),
        ("group discount", ", ".join(f"{d:.0%}" for d in discounts) or "no group buying"),
        ("feeds", ", ".join(sorted({r.feed.kind for r in rows}))),
        ("KOL commission", ", ".join(sorted({f"{r.livestream.commission:.0%}" for r in rows}))),
        ("seed", f"{summary['seed']}"),
    ]
    run = [
        ("day", f"{summary['steps']} of {config.run.steps}"),
        ("GMV (RMB)", f"{summary['gmv']:,.0f}"),
        ("orders", f"{summary['orders']:,}"),
        ("customers", f"{summary['customers']:,} ({summary['penetration']:.1%})"),
        ("KOL income (RMB)", f"{float(model.kol_income()['income'].sum()):,.0f}"),
    ]
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=_table("This world", world) + _table("Totals", run),
        classes=["socialsim-totals"],
    )


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    # Plain HTML rather than solara.Markdown, which fetches KaTeX from a CDN.
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<p><b>{html.escape(title)}</b></p><table>{body}</table>"


def page_components() -> list[tuple[Callable[[Any], Any], int]]:
    """Return the page's charts as Mesa ``SolaraViz`` components, all on the first tab."""
    charts = [gmv_chart, penetration_chart, channel_chart, network_view, totals]
    return [(chart, 0) for chart in charts]


# --------------------------------------------------------------------------- the page


def _base_config() -> ModelConfig | None:
    path = os.environ.get(CONFIG_ENV)
    return None if not path else load_config(path)


@solara.component
def Page() -> Any:
    """Show a ``SolaraViz`` of a world built from the controls (what ``socialsim viz`` serves).

    The world starts from the YAML file named by :data:`CONFIG_ENV` if set,
    else from the default world at :data:`PAGE_CONSUMERS` consumers.
    """
    base = solara.use_memo(_base_config, [])
    params = solara.use_memo(lambda: page_parameters(base), [])
    initial = {k: v["value"] for k, v in params.items() if isinstance(v, dict)}
    model = solara.use_memo(lambda: InteractiveSocialCommerceModel(base=base, **initial), [])
    return SolaraViz(
        model,
        components=page_components(),
        model_params=params,
        name="socialsim: social commerce in tiered cities",
    )
