"""Figures and summaries of results (matplotlib; the model never imports this)."""

from socialsim.analysis.dashboard import (
    plot_dashboard,
    plot_gmv,
    plot_orders_by,
    plot_penetration_by_tier,
    save_dashboard,
)

__all__ = [
    "plot_dashboard",
    "plot_gmv",
    "plot_orders_by",
    "plot_penetration_by_tier",
    "save_dashboard",
]
