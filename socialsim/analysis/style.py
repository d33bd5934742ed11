"""How the figures name and colour things, shared by the dashboard, the plots and the report."""

from __future__ import annotations

__all__ = ["SERIES_LABELS", "series_label", "tier_colours"]

SERIES_LABELS = {"kol": "KOL post", "koc": "KOC review"}
"""Labels of series whose column names do not read well as they are."""


def series_label(name: str) -> str:
    """Return the label of a series: ``"koc"`` is ``"KOC review"``, underscores become spaces.

    Examples
    --------
    >>> series_label("koc"), series_label("word_of_mouth")
    ('KOC review', 'word of mouth')
    """
    return SERIES_LABELS.get(name, name.replace("_", " "))


def tier_colours(n: int) -> list[tuple[float, float, float, float]]:
    """Return `n` colours for city tiers 1 ... n, from the viridis map (dark to light).

    Examples
    --------
    >>> len(tier_colours(6)), tier_colours(1)[0] == tier_colours(6)[0]
    (6, True)
    """
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]
