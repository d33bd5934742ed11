"""Mechanisms as components: one class that owns its parameters, its state and its columns.

A component takes part in the day through a few hooks, which the model calls
in a fixed order (below); each is optional. What a hook may read and write:

========================  =====================================================================
hook                      when, and what it may do
========================  =====================================================================
``__init__(model, ...)``  once, after the world is built: build parameter arrays from the
                          config (:func:`platform_values`), allocate state
``start_day(day)``        phase 1, after the built-in start of the day: budgets renewed,
                          needs opened, today's prices set (``model.prices.price`` may be
                          changed for today: it is recomputed every morning), returns settled
``content(day)``          phase 2, after the built-in posts: return offers that reach followers
                          (before word of mouth, so a post may spark a need others then meet)
``offers(day)``           phase 5, after the built-in offers: return more offers for today's
                          decision (:class:`~socialsim.mechanisms.offers.Offers`); they are
                          priced and decided like every other
``logit_shift(o)``        phase 6, while today's offers ``o`` are decided: return a per-offer
                          float32 shift of the conversion logit (a member's loyalty to the
                          platform, a buyer waiting for a promotion), or None for none; read
                          only (large days are decided on two threads, half the offers each)
``shipped(day, o, p)``    phase 7, for each batch of orders that ships (solo orders, then
                          completed groups): the orders as offers ``o`` and the prices paid
                          ``p``; read them, count them
``after_sale(day)``       phase 8, after the built-in after-sale rules (followers,
                          memberships, recruitment, regulation)
``end_day(day)``          phase 9, just before the day's row is written: set levels
``tables()``              after the run (or any time): the component's own long tables by
                          name, one row per day and item (``brands``, ``exports``); each is
                          written as ``<name>.parquet`` beside the step table
========================  =====================================================================

Every hook gets the day's :class:`~socialsim.day.Day`, whose counters hold a
zero for each column the components declared (``columns``, or
:meth:`Component.columns_for` where the columns depend on the settings); a hook
adds to its own with ``day.add(name, value)`` (levels: ``day.set``). A component draws its
randomness from ``self.random(day, kind)``, the stream of one kind of draw on one
day, keyed by the component's name, the kind and the day and spawned from the
run's seed (:mod:`socialsim.streams`; ``self.uniform`` gives one number per keyed
item). Adding a component changes no draw of the built-in mechanisms, and a
change of one lever moves no draw of another kind or day, so a run with it and
one without share their world and behaviour (common random numbers) until the
component acts. (``self.rng``, one stream for the whole run, is kept for
plug-ins written before; its draws drift apart between arms as soon as one
arm draws more.)

A component plugs in two ways: from Python, ``SocialCommerceModel(config,
components=[FlashSale])`` (its config from its ``config_model`` defaults, or
``FlashSale.with_config(depth=0.5)``); or installed, through the
``socialsim.mechanisms`` entry-point group (:mod:`socialsim.plugins`), when its
section is in the config with ``enabled: true``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from socialsim.columns import MetricColumn
from socialsim.config._base import Field, Section
from socialsim.streams import EnsembleStreams, KeyedDraws

if TYPE_CHECKING:
    import pandas as pd

    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = ["Component", "ComponentSection", "platform_values"]


class ComponentSection(Section):
    """The base of a plug-in's config section: off unless ``enabled``."""

    enabled: bool = Field(
        default=False, description="Run this mechanism.", unit="- (flag)", source="a study's choice"
    )


class Component:
    """A mechanism of the day (see the module docstring for the hooks and their order).

    Subclasses set ``name`` (their config section's name, a lower-case
    identifier), ``config_model`` (a :class:`ComponentSection`) and ``columns``
    (the :class:`~socialsim.columns.MetricColumn` they record), and override
    the hooks they need.

    Parameters
    ----------
    model : SocialCommerceModel
        The model it joins: ``model.world``, ``model.state``, ``model.config``,
        ``model.prices`` and the agents.
    config : ComponentSection, optional
        Its settings; from the model's config section if omitted, else the
        ``config_model`` defaults.
    rng : numpy.random.Generator, optional
        Its own random stream (the model spawns one).

    Attributes
    ----------
    model, config, rng
    """

    name: ClassVar[str] = ""
    config_model: ClassVar[type[ComponentSection]] = ComponentSection
    columns: ClassVar[tuple[MetricColumn, ...]] = ()
    #: whether it keeps each run's draws, counts and sums its own in a batched ensemble
    #: (docs/architecture.md, "Batched runs"); a batch refuses mechanisms that do not
    batch_ready: ClassVar[bool] = False

    def __init__(
        self,
        model: Any,
        config: ComponentSection | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if config is None:
            sections = getattr(model.config, "extensions", {})
            config = sections.get(self.name) or self.config_model()
        self.model = model
        self.config = config
        if rng is None:
            # one stream for the whole run, from the run's seed (a stand-in model: seed 0)
            streams, purpose, step = self._purpose(0, "run")
            if streams is None:
                rng = np.random.default_rng(0)
            elif not isinstance(streams, EnsembleStreams):
                rng = streams.generator(purpose, step)
            # (a batched ensemble has no one stream for the whole run: self.rng is None)
        self.rng = rng

    def random(self, day: Day | int, kind: str) -> np.random.Generator:
        """Return this component's stream for one kind of draw on one day.

        Asked for twice on one day, it continues where it was. Falls back to
        ``self.rng`` for a model without keyed streams (a test's stand-in).

        Parameters
        ----------
        day : Day or int
            The day (or its step).
        kind : str
            What is drawn (``"open"``, ``"decide"``): each kind is a stream of its own.

        Returns
        -------
        numpy.random.Generator
        """
        streams, purpose, step = self._purpose(day, kind)
        if streams is None:
            return self.rng
        if isinstance(streams, EnsembleStreams):
            raise RuntimeError(
                f"{type(self).__name__} draws {kind!r} from one stream, which a batched "
                "ensemble does not have: use self.draw or self.generators"
            )
        return streams.generator(purpose, step)

    def uniform(
        self,
        day: Day | int,
        kind: str,
        key: np.ndarray,
        dtype: type = np.float64,
        run: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return one uniform per item, a function of (seed, component, kind, day, key) alone.

        An item present in two runs of one seed gets the same number in both,
        whatever else either run has (:meth:`socialsim.streams.RandomStreams.uniform`).

        Parameters
        ----------
        day : Day or int
            The day (or its step).
        kind : str
            What is drawn.
        key : ndarray of uint64
            Each item's key (:func:`socialsim.streams.mix_keys`, made unique
            with :func:`socialsim.streams.distinct_keys` where items may repeat).
        dtype : numpy dtype
            ``float64`` or ``float32``.
        run : ndarray of int, optional
            Each item's run in a batched ensemble (:class:`socialsim.runs.Runs`);
            the keys are then made of each item's indices in its own run's world.

        Returns
        -------
        ndarray of `dtype`
        """
        streams, purpose, step = self._purpose(day, kind)
        if streams is None:
            return self.rng.random(np.shape(key)[0]).astype(dtype)
        if run is not None:
            return streams.uniform(purpose, step, key, run=run, dtype=dtype)
        return streams.uniform(purpose, step, key, dtype)

    def generators(
        self, day: Day | int, kind: str
    ) -> np.random.Generator | list[np.random.Generator]:
        """Return this kind's stream on `day`: one for one run, each run's in a batched ensemble.

        For draws interleaved with work on the items (bytes, then the ties'
        uniforms) that :meth:`draw` cannot express as one call.
        """
        runs = getattr(self.model, "runs", None)
        if runs is None or not runs.batched:
            return self.random(day, kind)
        streams, purpose, step = self._purpose(day, kind)
        return [streams.generator(purpose, step, k) for k in range(runs.n)]

    def draw(
        self,
        day: Day | int,
        kind: str,
        run: np.ndarray | None,
        n: int,
        how: Callable[[np.random.Generator, int], np.ndarray],
    ) -> np.ndarray:
        """Draw for `n` items from this kind's stream: each run's items from its own stream.

        For one run (``run`` None) this is ``how(self.random(day, kind), n)``.
        In a batched ensemble run ``k``'s items (in array order) get
        ``how(stream_k, n_k)``, what run ``k`` alone draws for them
        (:meth:`socialsim.streams.EnsembleStreams.by_run`).

        Parameters
        ----------
        day : Day or int
        kind : str
        run : ndarray of int or None
            Each item's run (:meth:`socialsim.runs.Runs.of_consumers`).
        n : int
            Number of items.
        how : callable
            ``how(generator, m)`` draws for ``m`` items (first axis ``m``).

        Returns
        -------
        ndarray
        """
        if run is None:
            return how(self.random(day, kind), n)
        streams, purpose, step = self._purpose(day, kind)
        return streams.by_run(purpose, step, run, how)

    def keyed(
        self, day: Day | int, kind: str, key: np.ndarray, run: np.ndarray | None = None
    ) -> Any:
        """Return keyed draws (:class:`socialsim.streams.KeyedDraws`) for items with `key`.

        A stand-in for a generator in code that draws one number per item per
        call: each item's numbers depend on its key alone. Falls back to
        ``self.rng`` for a model without keyed streams.

        Parameters
        ----------
        day : Day or int
        kind : str
        key : ndarray of uint64
        run : ndarray of int, optional
            Each item's run in a batched ensemble (keys of its local indices).

        Returns
        -------
        KeyedDraws or numpy.random.Generator
        """
        streams, purpose, step = self._purpose(day, kind)
        if streams is None:
            return self.rng
        return KeyedDraws(streams, purpose, step, key, run=run)

    def _purpose(self, day: Day | int, kind: str) -> tuple[Any, str, int]:
        """Return the model's streams (None without them), a kind's purpose name, the step."""
        step = day if isinstance(day, int) else day.step
        name = f"{self.name or type(self).__name__}/{kind}"
        return getattr(self.model, "streams", None), name, step

    @classmethod
    def with_config(cls, **settings: Any) -> Callable[..., Component]:
        """Return a factory of this component with these settings (validated now).

        Examples
        --------
        >>> factory = Component.with_config()
        >>> callable(factory)
        True
        """
        config = cls.config_model(**settings)

        def build(model: Any, rng: np.random.Generator | None = None) -> Component:
            return cls(model, config=config, rng=rng)

        build.component = cls  # type: ignore[attr-defined]
        return build

    @classmethod
    def columns_for(cls, config: Any) -> tuple[MetricColumn, ...]:
        """Return the columns a model of `config` records for this mechanism.

        ``columns`` unless overridden: a mechanism with a column that means
        nothing until one of its options is on may declare it only then, so
        that a config which leaves the option off keeps its step table as it
        was.

        Parameters
        ----------
        config : ModelConfig
            The model's config.

        Returns
        -------
        tuple of MetricColumn

        Examples
        --------
        >>> Component.columns_for(None)
        ()
        """
        return cls.columns

    # ------------------------------------------------------------------ hooks

    def start_day(self, day: Day) -> None:
        """Phase 1: the day has begun (prices set, returns settled)."""

    def content(self, day: Day) -> Offers | None:
        """Phase 2: offers of content that reaches followers (posts), or None."""
        return None

    def offers(self, day: Day) -> Offers | None:
        """Phase 5: more offers for today's decision, or None."""
        return None

    def logit_shift(self, offers: Offers) -> np.ndarray | None:
        """Phase 6: a float32 shift of each offer's conversion logit, or None for no shift.

        The checkout adds it to the logit of
        :func:`~socialsim.mechanisms.purchase.conversion_logit`. It must not
        change state or draw: on large days it is called on two threads, each
        with half the offers.
        """
        return None

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Phase 7: a batch of orders shipped at these prices."""

    def after_sale(self, day: Day) -> None:
        """Phase 8: after the built-in after-sale rules."""

    def end_day(self, day: Day) -> None:
        """Phase 9: the day's row is about to be written."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return this mechanism's own tables so far, by name (none by default).

        Each is a long table with a ``step`` column; a run writes each as
        ``<name>.parquet`` and a sweep keeps it when its ``outputs`` name it.
        """
        return {}


def platform_values(
    config: Any, names: tuple[str, ...], path: str, dtype: Any = np.float64
) -> np.ndarray:
    """Return one value per platform (in the world's order) of a platform config field.

    Parameters
    ----------
    config : ModelConfig
        The model's config.
    names : tuple of str
        The platforms, in the world's order (``model.world.platforms.names``).
    path : str
        The field's dotted path within a platform row (``"group_buying.discount"``).
    dtype : numpy dtype
        Of the array.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from socialsim import ModelConfig
    >>> cfg = ModelConfig()
    >>> names = tuple(sorted(cfg.platforms))  # kaola and pinduoduo run groups
    >>> platform_values(cfg, names, "group_buying.enabled", bool).tolist()
    [False, True, False, True, False, False]
    """
    values = []
    for name in names:
        node: Any = config.platforms[name]
        for part in path.split("."):
            node = getattr(node, part)
        values.append(node)
    return np.array(values, dtype=dtype)
