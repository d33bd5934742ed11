"""Paid membership: who joins, and the members' 30-day price protection.

Kaola's paid membership gives members a lower member price and protects a
member's purchase for 30 days: if the member price drops within that time,
the member gets the difference back [1]_. Membership pays most for people who
spend above about RMB 10,000 a year; "a high-net-worth member saves about RMB
3,808 a year" [1]_.

A non-member joins when the membership is expected to pay for itself: the
expected yearly saving, ``discount × recent_spend × 365 / lookback_days``, is
weighed against the fee, and the chance of joining today is
``join_rate × expit(sharpness × (saving / fee - 1))``: half of ``join_rate``
when the saving just equals the fee, close to ``join_rate`` well above it and
close to 0 well below it.

A membership lasts a term (a year at Kaola). With ``renewal`` on, the
membership is a relationship: the value a term gave the member (member-price
savings on the orders shipped plus price-protection refunds) is weighed
against the fee at the term's end, and the member renews with chance
``expit(renewal_sharpness × (value / fee - 1))`` (:func:`renewal_chance`),
else lapses. With it off, every membership ends with its term.

Two logit shifts make the membership change what members buy
(:func:`relationship_shift`): ``loyalty_shift`` on a member's offers on the
platform of the membership, which moves the member's share of wallet towards
it; and the waiting for a promotion (``promotions.wait_shift``) on offers at
the full price, which price protection takes away from members: a drop within
the window is refunded, so a protected member buys now instead of waiting.

References
----------
.. [1] Interview with Kaola's CEO (2020): member pricing below the earlier
   96 % member rate, membership pays most above about RMB 10,000 of yearly
   spending, about RMB 3,808 saved a year by a high-net-worth member, and
   30-day price protection for members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import expit

from socialsim._arrays import scale_columns, take_at
from socialsim.columns import MetricColumn
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.cross_border import goods_value
from socialsim.runs import Runs

if TYPE_CHECKING:
    from socialsim.day import Day
    from socialsim.mechanisms.offers import Offers

__all__ = [
    "Membership",
    "PriceProtection",
    "membership_joins",
    "protection_cover",
    "relationship_shift",
    "renewal_chance",
    "share_of_wallet",
]

# Name and dtype of each parallel column of PriceProtection, in storage order.
_COLUMNS = (
    ("buyer", np.int32),
    ("product", np.int32),
    ("platform", np.int8),
    ("paid", np.float64),
    ("step", np.int32),
)


@dataclass(eq=False)
class PriceProtection:
    """Recent member purchases that are still protected against a price drop.

    A purchase bought at step ``s`` is protected through step
    ``s + window_days`` inclusive. :meth:`refunds` pays back a drop of the
    member price below what was paid, then treats the new price as the price
    paid, so a later, further drop refunds only the further difference.

    Entries are appended cheaply by :meth:`add` and gathered into one set of
    arrays, with expired entries dropped, at the next :meth:`refunds`; so the
    cost per day follows the number of protected purchases.

    Parameters
    ----------
    window_days : int
        Length of the protection (30 at Kaola), at least 0.

    Examples
    --------
    Consumer 7 pays 100 for product 2 on platform 0 at step 10; the member
    price drops to 90 at step 25 and to 85 at step 40 (after the window).

    >>> protection = PriceProtection(window_days=30)
    >>> protection.add(np.array([7]), np.array([2]), np.array([0]), np.array([100.0]), step=10)
    >>> price = np.array([[50.0, 60.0, 90.0]])  # (n_platforms, n_products)
    >>> buyer, amount, platform = protection.refunds(price, step=25)
    >>> buyer.tolist(), amount.tolist(), platform.tolist()
    ([7], [10.0], [0])
    >>> price[0, 2] = 85.0
    >>> protection.refunds(price, step=41)[1].tolist(), len(protection)
    ([], 0)
    """

    window_days: int
    _chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.window_days, int | np.integer) or self.window_days < 0:
            raise ValueError(f"window_days: must be an integer >= 0, got {self.window_days!r}")

    def __len__(self) -> int:
        """Return the number of purchases held (expired ones go at the next :meth:`refunds`)."""
        return sum(chunk[0].shape[0] for chunk in self._chunks)

    def add(
        self,
        buyer: np.ndarray,
        product: np.ndarray,
        platform: np.ndarray,
        paid: np.ndarray,
        step: int,
    ) -> None:
        """Protect members' purchases made at `step`.

        Parameters
        ----------
        buyer, product, platform : ndarray of int, shape (m,)
            Who bought which product on which platform. Only members' purchases
            should be added: anything not added is never refunded.
        paid : ndarray of float, shape (m,)
            Unit price paid (RMB).
        step : int
            The day of the purchases.

        Raises
        ------
        ValueError
            If the arrays differ in length, an index is negative or does not
            fit its storage type, or a price is negative or NaN.
        """
        columns = (buyer, product, platform, paid)
        arrays = [np.asarray(a) for a in columns]
        m = arrays[0].shape
        if any(a.ndim != 1 or a.shape != m for a in arrays):
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"buyer, product, platform, paid: must be 1-D of equal length, got {shapes}"
            )
        if m[0] == 0:
            return
        stored = []
        for (name, dtype), a in zip(_COLUMNS[:3], arrays[:3], strict=True):
            top = np.iinfo(dtype).max
            if not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() > top:
                raise ValueError(
                    f"{name}: must be integers in 0 .. {top}, got dtype {a.dtype} "
                    f"with values from {a.min()} to {a.max()}"
                )
            stored.append(a.astype(dtype))
        price = arrays[3].astype(np.float64)
        bad = np.flatnonzero(~(price >= 0))
        if bad.size:
            raise ValueError(f"paid: must be >= 0, got {price[bad[0]]} at purchase {bad[0]}")
        stored.append(price)
        stored.append(np.full(m, step, dtype=np.int32))
        self._chunks.append(tuple(stored))

    def refunds(
        self, current_price: np.ndarray, step: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drop expired purchases and refund today's price drops.

        Parameters
        ----------
        current_price : ndarray of float, shape (n_platforms, n_products)
            Today's member price.
        step : int
            Today. A purchase made at step ``s`` is still protected if
            ``step <= s + window_days``.

        Returns
        -------
        buyer : ndarray of int32
            Who gets a refund; one entry per refunded purchase, so a buyer may
            repeat (sum with ``np.bincount(buyer, weights=amount)``).
        amount : ndarray of float64
            Refund per purchase: price paid (or last refunded to) minus today's price.
        platform : ndarray of int8
            The platform that pays the refund.

        Raises
        ------
        ValueError
            If `current_price` is not 2-D or a held purchase's platform or
            product lies outside it.
        """
        current_price = np.asarray(current_price)
        if current_price.ndim != 2:
            raise ValueError(
                "current_price: must have shape (n_platforms, n_products), got shape "
                f"{current_price.shape}"
            )
        buyer, product, platform, paid, _ = self._compact(step)
        if buyer.size and (
            platform.max() >= current_price.shape[0] or product.max() >= current_price.shape[1]
        ):
            raise ValueError(
                f"current_price: shape {current_price.shape} does not cover held purchases "
                f"(largest platform {platform.max()}, largest product {product.max()})"
            )
        today = current_price[platform, product]
        dropped = np.flatnonzero(today < paid)
        amount = paid[dropped] - today[dropped]
        # Refunded down to today's price: a later drop pays only the further difference.
        paid[dropped] = today[dropped]
        return buyer[dropped], amount, platform[dropped]

    def _compact(self, step: int) -> tuple[np.ndarray, ...]:
        """Merge the chunks into one, without the purchases whose window has ended."""
        if not self._chunks:
            self._chunks.append(tuple(np.empty(0, dtype) for _, dtype in _COLUMNS))
        if len(self._chunks) > 1:
            self._chunks = [tuple(np.concatenate(col) for col in zip(*self._chunks, strict=True))]
        columns = self._chunks[0]
        live = columns[4].astype(np.int64) + self.window_days >= step
        if not live.all():
            columns = tuple(col[live] for col in columns)
            self._chunks = [columns]
        return columns


def membership_joins(
    is_member: np.ndarray,
    recent_spend: np.ndarray,
    *,
    fee: float,
    discount: float,
    lookback_days: int,
    join_rate: float,
    sharpness: float = 5.0,
    eligible: np.ndarray | None = None,
    rng: np.random.Generator | _ByRun,
) -> np.ndarray:
    """Draw which non-members join the paid membership today.

    An eligible non-member joins with probability
    ``join_rate * expit(sharpness * (saving / fee - 1))``, where
    ``saving = discount * recent_spend * 365 / lookback_days`` is the yearly
    saving the consumer's recent spending suggests. With ``fee == 0`` every
    eligible non-member joins with probability ``join_rate``.

    Parameters
    ----------
    is_member : ndarray of bool, shape (n,)
        Who is a member already; members never join again.
    recent_spend : ndarray of float, shape (n,)
        Spending on the platform over the last `lookback_days` (RMB).
    fee : float
        Yearly membership fee (RMB), at least 0.
    discount : float
        Share of spending a member saves, in [0, 1].
    lookback_days : int
        Days `recent_spend` covers, at least 1.
    join_rate : float
        Daily chance of joining when the membership clearly pays, in [0, 1].
    sharpness : float, optional
        How sharply the chance rises as the saving passes the fee, at least 0.
    eligible : ndarray of bool, shape (n,), optional
        Who may join at all (e.g. users of the platform); everyone if None.
    rng : numpy.random.Generator
        Source of randomness. One uniform float32 is drawn per consumer,
        whoever is eligible, so the stream stays aligned across runs whose
        memberships differ (common random numbers). (Anything with the
        generator's ``random(n, dtype=)`` will do: in a batched ensemble, each
        run's consumers draw from its own stream.)

    Returns
    -------
    ndarray of int64
        Indices of the consumers who join today, ascending. The caller sets
        ``is_member[joined] = True``.

    Raises
    ------
    ValueError
        If the arrays differ in shape or a parameter is out of range.

    Examples
    --------
    A 5 % discount and a fee of 300: consumer 0 spends 20,000 a year (saving
    1,000), consumer 1 spends 1,000 a year (saving 50), consumer 2 is a member;
    each is repeated 1,000 times.

    >>> member = np.repeat([False, False, True], 1_000)
    >>> spend = np.repeat([20_000.0, 1_000.0, 20_000.0], 1_000) * 30 / 365
    >>> joined = membership_joins(
    ...     member, spend, fee=300.0, discount=0.05, lookback_days=30, join_rate=0.1,
    ...     rng=np.random.default_rng(0),
    ... )
    >>> np.bincount(joined // 1_000, minlength=3).tolist()  # about 100, 1.5 and 0 expected
    [96, 3, 0]
    """
    is_member = np.asarray(is_member)
    recent_spend = np.asarray(recent_spend)  # in float64 below, for the candidates only
    n = is_member.shape
    if is_member.dtype != bool or is_member.ndim != 1:
        raise ValueError(
            f"is_member: must be a 1-D bool array, got dtype {is_member.dtype}, shape {n}"
        )
    if recent_spend.shape != n:
        raise ValueError(
            f"recent_spend: must have the shape of is_member {n}, got {recent_spend.shape}"
        )
    if eligible is not None:
        eligible = np.asarray(eligible)
        if eligible.dtype != bool or eligible.shape != n:
            raise ValueError(
                f"eligible: must be a bool array of shape {n}, got dtype {eligible.dtype}, "
                f"shape {eligible.shape}"
            )
    _check_range("fee", fee, 0.0, np.inf)
    _check_range("discount", discount, 0.0, 1.0)
    _check_range("join_rate", join_rate, 0.0, 1.0)
    _check_range("sharpness", sharpness, 0.0, np.inf)
    if not lookback_days >= 1:
        raise ValueError(f"lookback_days: must be >= 1, got {lookback_days}")

    candidate = np.flatnonzero(~is_member if eligible is None else ~is_member & eligible)
    # Drawn for everyone (see `rng`), evaluated for the candidates only.
    draw = rng.random(n, dtype=np.float32).take(candidate)
    if fee > 0:
        spend = recent_spend.take(candidate).astype(np.float64)
        saving = discount * spend * (365.0 / lookback_days)
        chance = join_rate * expit(sharpness * (saving / fee - 1.0))
    else:
        chance = float(join_rate)
    return candidate[draw < chance]


def renewal_chance(value: np.ndarray, *, fee: float, sharpness: float = 5.0) -> np.ndarray:
    """Return the chance that a member renews at the end of a term, by the value it gave.

    ``expit(sharpness * (value / fee - 1))``: a half when the term's value
    just equals the fee, close to 1 well above it and close to 0 well below
    it. A free membership (``fee == 0``) is always renewed.

    Parameters
    ----------
    value : ndarray of float
        RMB the term gave each member: member-price savings plus price-protection refunds.
    fee : float
        The fee of the next term (RMB), at least 0.
    sharpness : float, optional
        How sharply the chance rises as the value passes the fee, at least 0.

    Returns
    -------
    ndarray of float64
        One chance per member, in [0, 1].

    Raises
    ------
    ValueError
        If `fee` or `sharpness` is out of range.

    Examples
    --------
    Members whose term gave nothing, the fee's worth and twice the fee (RMB 279):

    >>> renewal_chance(np.array([0.0, 279.0, 558.0]), fee=279.0).round(3).tolist()
    [0.007, 0.5, 0.993]
    >>> renewal_chance(np.array([0.0]), fee=0.0).tolist()
    [1.0]

    References
    ----------
    .. [1] Interview with Kaola's CEO (2020): membership pays most above about
       RMB 10,000 of yearly spending. The rule itself is an *assumption*.
    """
    _check_range("fee", fee, 0.0, np.inf)
    _check_range("sharpness", sharpness, 0.0, np.inf)
    value = np.asarray(value, dtype=np.float64)
    if fee == 0:
        return np.ones(value.shape)
    return expit(sharpness * (value / fee - 1.0))


def protection_cover(window_days: int, patience_days: float) -> float:
    """Return the share of the waiting for a promotion that price protection takes away.

    A buyer who expects a promotion waits for one at most as long as the need
    lasts (``need_patience_days``); a purchase protected for ``window_days``
    is refunded any drop within the window, so waiting gains nothing over the
    days the window covers. The share is ``min(1, window_days / patience_days)``.

    Parameters
    ----------
    window_days : int
        Days of price protection, at least 0.
    patience_days : float
        Mean days an unmet need stays open, at least 1.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    Kaola's 30 days against needs that last a week on average, 3 days, none:

    >>> protection_cover(30, 7.0), round(protection_cover(3, 7.0), 3), protection_cover(0, 7.0)
    (1.0, 0.429, 0.0)
    """
    if not window_days >= 0:
        raise ValueError(f"window_days: must be >= 0, got {window_days}")
    if not patience_days >= 1:
        raise ValueError(f"patience_days: must be >= 1, got {patience_days}")
    return min(1.0, window_days / patience_days)


def relationship_shift(
    member: np.ndarray,
    full_price: np.ndarray,
    platform: np.ndarray,
    *,
    loyalty: np.ndarray,
    wait: np.ndarray,
    cover: np.ndarray,
) -> np.ndarray:
    """Return the logit shift a membership makes on each offer: loyalty, and no waiting.

    ``loyalty[p]`` if the purchaser is a member of the offer's platform ``p``;
    plus, for an offer at the full price, ``wait[p]``, times ``1 - cover[p]``
    for a member (price protection takes that share of the waiting away).

    Parameters
    ----------
    member : ndarray of bool, shape (m,)
        Whether the offer's purchaser is a member of the offer's platform.
    full_price : ndarray of bool, shape (m,)
        Whether the offer is at the platform's full price (no promotion, no channel price).
    platform : ndarray of int, shape (m,)
        The offer's platform.
    loyalty, wait, cover : ndarray of float, shape (P,)
        Per platform: the members' loyalty shift (>= 0), the shift of waiting for a
        promotion (<= 0) and the share of it price protection takes away from members.

    Returns
    -------
    ndarray of float32, shape (m,)

    Examples
    --------
    On platform 0 (loyalty 0.5, waiting -0.3, members fully protected): a
    member and a non-member at full price, a non-member at a promotion price.

    >>> relationship_shift(
    ...     np.array([True, False, False]), np.array([True, True, False]), np.array([0, 0, 0]),
    ...     loyalty=np.array([0.5]), wait=np.array([-0.3]), cover=np.array([1.0]),
    ... ).tolist()
    [0.5, -0.30000001192092896, 0.0]
    """
    loyal = np.where(member, loyalty.astype(np.float32).take(platform), np.float32(0))
    wait_here = wait.astype(np.float32).take(platform)
    left = np.where(member, (1.0 - cover).astype(np.float32).take(platform), np.float32(1))
    return loyal + np.where(full_price, wait_here * left, np.float32(0))


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    # Written so that NaN fails too.
    if not lo <= value <= hi:
        raise ValueError(f"{name}: must be in [{lo}, {hi}], got {value}")


class _ByRun:
    """A generator's ``random(n, dtype=)`` for every consumer of a batched ensemble.

    Each run's block of consumers gets what its own stream of the kind gives
    it alone (:meth:`~socialsim.mechanisms.component.Component.draw`).
    """

    def __init__(self, component: Component, day: Day, kind: str, run: np.ndarray) -> None:
        self.component, self.day, self.kind, self.run = component, day, kind, run

    def random(self, size: int, dtype: type = np.float64) -> np.ndarray:
        """Return one uniform per consumer, each run's block from its own stream."""
        return self.component.draw(
            self.day, self.kind, self.run, size, lambda g, m: g.random(m, dtype=dtype)
        )


class Membership(Component):
    """Paid memberships on the platforms that run one: member prices, protection, joining.

    Parameters (from each platform's ``membership`` section): ``enabled``,
    ``fee``, ``discount``, ``price_protection_days``, ``join_rate``,
    ``lookback_days``, ``term_days``, ``renewal``, ``renewal_sharpness`` and
    ``loyalty_shift``, and ``promotions.wait_shift``.
    State: the consumers' ``member``, ``member_until`` and ``recent_spend``
    arrays (in ``model.state``, which agents read too), the
    :class:`PriceProtection` of members' recent purchases and :attr:`value`,
    what each member's current term has given.

    Day by day: terms that ended yesterday are renewed (``renewal``, paying
    the fee again) or end, and members are refunded today's price drops
    (start of the day); members' orders count as member GMV, their savings
    as value, and enter price protection (as they ship); users whose recent
    spending makes the membership pay join it, paying the fee out of the
    month's budget (after the sale); the current members, and with
    ``renewal`` their share of wallet, are counted (end of the day). While
    offers are decided, :meth:`logit_shift` adds members' loyalty and the
    waiting for a promotion that price protection takes away.

    In a batched ensemble (``model.runs``) each run's consumers draw from its
    own streams and its counts and sums are its own (one value per run);
    :attr:`member_lists` lists the union's consumers (each run's block of
    consumers in turn).

    Parameters
    ----------
    model : SocialCommerceModel
    rng : numpy.random.Generator
        The stream joins and renewals are drawn from (the model's behaviour
        stream, so the built-in mechanisms draw in the order they always have;
        renewals draw only when ``renewal`` is on).

    References
    ----------
    .. [1] Interview with Kaola's CEO (2020); see the module docstring.
    """

    name = "membership"
    batch_ready = True
    columns = (
        MetricColumn.count("members_joined", "paid memberships bought today"),
        MetricColumn.count(
            "members", "current paid memberships (two platforms' count twice)", level=True
        ),
        MetricColumn.total("member_gmv", "RMB of today's orders bought at member prices"),
        MetricColumn.total("membership_fees", "RMB of the memberships bought today"),
        MetricColumn.total(
            "price_protection_refunds", "RMB refunded to members today for price drops"
        ),
        MetricColumn.count("members_renewed", "memberships renewed today at the end of a term"),
        MetricColumn.count(
            "members_lapsed", "memberships that ended today with their term, not renewed"
        ),
        MetricColumn.total(
            "member_share_of_wallet",
            "share of members' recent spending (about a month) that went to the platforms "
            "they are members of (0 without members or their spending)",
            level=True,
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        names = model.world.platforms.names
        cfg = model.config
        self.enabled = platform_values(cfg, names, "membership.enabled", bool)
        #: the member price's discount on each platform (0 where there is no membership)
        self.discount = np.where(
            self.enabled, platform_values(cfg, names, "membership.discount"), 0.0
        )
        lookback = np.where(
            self.enabled, platform_values(cfg, names, "membership.lookback_days"), 30
        )
        self.spend_decay = (1.0 - 1.0 / lookback).astype(np.float32)
        days = [cfg.platforms[n].membership.price_protection_days for n in names]
        windows = [d for d, on in zip(days, self.enabled.tolist(), strict=True) if on]
        # with several membership platforms, all use the longest window
        self.protection = PriceProtection(max(windows)) if windows else None
        self.member_lists: list[np.ndarray] = []
        self.term_days = platform_values(cfg, names, "membership.term_days", np.int32)
        #: platforms whose members renew by value at the end of a term
        self.renews = self.enabled & platform_values(cfg, names, "membership.renewal", bool)
        n = model.world.n_consumers
        runs = getattr(model, "runs", None)
        #: the runs (one, for a model without them): counts and sums per run
        self.runs = Runs.single(n) if runs is None else runs
        #: RMB each member's current term has given (savings and refunds), per platform
        self.value = np.zeros((n if self.enabled.any() else 0, len(names)), dtype=np.float32)
        # the member price's saving on a paid price: p / (1 - d) - p
        self._saving_rate = self.discount / (1.0 - self.discount)
        # The logit shifts (relationship_shift): members' loyalty, waiting for a promotion
        # where promotions run, and the share of the waiting members' protection takes away.
        self.loyalty = np.where(
            self.enabled, platform_values(cfg, names, "membership.loyalty_shift"), 0.0
        )
        promotions = platform_values(cfg, names, "promotions.rate") > 0
        self.wait = np.where(promotions, platform_values(cfg, names, "promotions.wait_shift"), 0.0)
        window = 0 if self.protection is None else self.protection.window_days
        cover = protection_cover(window, cfg.behaviour.need_patience_days)
        self.cover = np.where(self.enabled, cover, 0.0)
        #: whether the membership shifts any conversion logit (else logit_shift adds nothing)
        self.shifts = bool(self.loyalty.any() or self.wait.any())
        self._full_price: np.ndarray | None = None  # (P, n_products): not on promotion today

    def start_day(self, day: Day) -> None:
        """Renew or end the terms that ended yesterday; refund members today's price drops."""
        state = self.model.state
        if self.wait.any():  # today's prices are set: which products are not on promotion
            self._full_price = self.model.prices.promo_until < day.step
        expired = (state.member_until < day.step) & state.member
        # a membership that cannot renew lapses with its term
        runs = self.runs
        day.add("members_lapsed", runs.count_rows(expired[:, ~self.renews]))
        if self.renews.any():
            expired &= ~self._renew(day, expired)
        state.member[expired] = False
        if self.value.size and expired.any():
            self.value[expired] = 0.0  # their term is over
        if self.protection is None:
            return
        member_price = self.model.prices.price * (1.0 - self.discount[:, None])
        buyer, amount, platform = self.protection.refunds(member_price, day.step)
        amount = np.round(amount, 2)  # prices are in fen; anything smaller is float noise
        np.add.at(state.budget_left, buyer, amount)
        np.add.at(self.value, (buyer, platform), amount)
        day.add("price_protection_refunds", runs.sums(amount, runs.of_consumers(buyer)))

    def _renew(self, day: Day, due: np.ndarray) -> np.ndarray:
        """Renew the due terms of the members whom their term's value persuades; count them.

        Returns the (n, P) mask of the memberships renewed; the others due lapse.
        """
        state, config, runs = self.model.state, self.model.config, self.runs
        names = self.model.world.platforms.names
        renewed = np.zeros_like(due)
        n = due.shape[0]
        for p in np.flatnonzero(self.renews).tolist():
            m = config.platforms[names[p]].membership
            # One draw per consumer every day, whoever is due, so that the stream stays
            # aligned across runs whose memberships differ (common random numbers).
            draw = self._stream(day, f"renew/{p}").random(n, dtype=np.float32)
            who = np.flatnonzero(due[:, p])
            chance = renewal_chance(self.value[who, p], fee=m.fee, sharpness=m.renewal_sharpness)
            # the fee comes out of what is left of this month's budget, as when joining
            keep = who[(draw.take(who) < chance) & (state.budget_left.take(who) >= m.fee)]
            state.budget_left[keep] -= np.float32(m.fee)
            state.member_until[keep, p] += self.term_days[p]
            renewed[keep, p] = True
            if runs.batched:
                kept = runs.count(runs.of_consumers(keep))
                day.add("members_renewed", kept)
                day.add("members_lapsed", runs.count(runs.of_consumers(who)) - kept)
                day.add("membership_fees", kept * m.fee)
            else:
                day.count["members_renewed"] += int(keep.size)
                day.count["members_lapsed"] += int(who.size - keep.size)
                day.total["membership_fees"] += float(keep.size * m.fee)
        self.value[renewed] = 0.0  # a new term
        return renewed

    def logit_shift(self, offers: Offers) -> np.ndarray | None:
        """Shift members' offers by their loyalty, and non-protected full-price offers by waiting.

        None (no shift at all) unless ``loyalty_shift`` or ``promotions.wait_shift``
        is set. Membership is the purchaser's, as for the member price.
        """
        if not self.shifts:
            return None
        member = take_at(self.model.state.member, offers.purchaser(), offers.platform)
        if self._full_price is not None:
            on_sale = offers.discount > 0  # a group or livestream price is a deal already
            full = ~on_sale & take_at(self._full_price, offers.platform, offers.product)
        else:
            full = np.zeros(len(offers), dtype=bool)
        return relationship_shift(
            member,
            full,
            offers.platform,
            loyalty=self.loyalty,
            wait=self.wait,
            cover=self.cover,
        )

    def shipped(self, day: Day, orders: Offers, price: np.ndarray) -> None:
        """Count members' orders as member GMV and protect them against price drops."""
        state, catalogue = self.model.state, self.model.world.catalogue
        purchaser = orders.purchaser()
        member = state.member[purchaser, orders.platform]
        runs = self.runs
        run = runs.of_consumers(purchaser[member])
        day.add("member_gmv", runs.sums(price[member], run))
        if member.any():
            # what the member price saved on these orders counts towards the term's value
            platform = orders.platform[member]
            saving = price[member].astype(np.float64) * self._saving_rate[platform]
            np.add.at(self.value, (purchaser[member], platform), saving)
        tier = self.model.world.population.tier[purchaser[member]]
        if run is None:
            day.tier_member_gmv += np.bincount(
                tier, weights=price[member].astype(np.float64), minlength=day.n_tiers + 1
            )[1:]
        else:  # (run, tier) bins: each run's members' GMV by tier, added in its order
            width = day.n_tiers + 1
            day.tier_member_gmv += np.bincount(
                run.astype(np.int64) * width + tier,
                weights=price[member].astype(np.float64),
                minlength=runs.n * width,
            ).reshape(runs.n, width)[:, 1:]
        if member.any() and self.protection is not None:
            tax = catalogue.tax_rate[orders.product[member]]
            paid = price[member]
            imported = catalogue.cross_border[orders.product[member]]
            goods = np.where(imported, goods_value(paid, tax), paid)
            self.protection.add(
                purchaser[member],
                orders.product[member],
                orders.platform[member],
                goods.astype(np.float64),
                day.step,
            )

    def after_sale(self, day: Day) -> None:
        """Users whose spending makes a paid membership pay for itself join it."""
        state, config, runs = self.model.state, self.model.config, self.runs
        names = self.model.world.platforms.names
        scale_columns(state.recent_spend, self.spend_decay)
        for p in np.flatnonzero(self.enabled).tolist():
            m = config.platforms[names[p]].membership
            joined = membership_joins(
                state.member[:, p],
                state.recent_spend[:, p],
                fee=m.fee,
                discount=m.discount,
                lookback_days=m.lookback_days,
                join_rate=m.join_rate,
                # the fee comes out of what is left of this month's budget
                eligible=state.uses[:, p] & (state.budget_left >= m.fee),
                rng=self._stream(day, f"join/{p}"),
            )
            state.budget_left[joined] -= np.float32(m.fee)
            state.member[joined, p] = True
            # today is the term's first day (its rest, after the sale); it ends with day
            # step + term_days - 1, as 364 did for Kaola's year
            state.member_until[joined, p] = day.step + m.term_days - 1
            self.value[joined, p] = 0.0
            if runs.batched:
                count = runs.count(runs.of_consumers(joined))
                day.add("members_joined", count)
                day.add("membership_fees", count * m.fee)
            else:
                day.count["members_joined"] += int(joined.size)
                day.total["membership_fees"] += float(joined.size * m.fee)

    def end_day(self, day: Day) -> None:
        """List today's members platform by platform, count them and their share of wallet."""
        state = self.model.state
        member = state.member
        self.member_lists = [np.flatnonzero(member[:, p]) for p in range(member.shape[1])]
        runs = self.runs
        if not runs.batched:
            day.count["members"] = sum(len(m) for m in self.member_lists)
            day.set(
                "member_share_of_wallet",
                share_of_wallet(member, state.recent_spend, np.concatenate(self.member_lists)),
            )
            return
        day.set("members", runs.count_rows(member))
        # each run's share over its own block, its members by its own indices (in the order
        # one run alone lists them: platform by platform)
        members = np.concatenate(self.member_lists)
        run = runs.of_consumers(members)
        shares = []
        for k in range(runs.n):
            rows = runs.rows(k)
            mine = members[run == k] - rows.start
            shares.append(share_of_wallet(member[rows], state.recent_spend[rows], mine))
        day.set("member_share_of_wallet", shares)

    def _stream(self, day: Day, kind: str) -> np.random.Generator | _ByRun:
        """Return the stream of one draw per consumer: the kind's, or each run's in an ensemble."""
        if not self.runs.batched:
            return self.random(day, kind)
        return _ByRun(self, day, kind, self.runs.consumer_run)


def share_of_wallet(member: np.ndarray, spend: np.ndarray, consumers: np.ndarray) -> float:
    """Return the share of these consumers' spending that went to platforms they are members of.

    Parameters
    ----------
    member : ndarray of bool, shape (n, P)
        Who is a member of which platform.
    spend : ndarray of float, shape (n, P)
        Spending per consumer and platform (RMB).
    consumers : ndarray of int
        Whose spending counts (each once, repeats are dropped).

    Returns
    -------
    float
        In [0, 1]; 0 when they spent nothing.

    Examples
    --------
    Consumer 0 is a member of platform 1 and spent 30 there and 10 elsewhere;
    consumer 1 is a member of platform 0 and spent 60 on platform 1:

    >>> member = np.array([[False, True], [True, False]])
    >>> spend = np.array([[10.0, 30.0], [0.0, 60.0]])
    >>> share_of_wallet(member, spend, np.array([0, 1, 0]))
    0.3
    """
    rows = np.unique(consumers)
    total = float(spend[rows].sum(dtype=np.float64))
    if total <= 0:
        return 0.0
    return float(np.where(member[rows], spend[rows], 0).sum(dtype=np.float64)) / total
