"""Metric columns as data: what a component records each day, declared where it is recorded.

A :class:`MetricColumn` names a column of the per-step table (``steps.parquet``,
``model.step_metrics()``), its dtype, whether it is a *flow* (an amount per
day, summed over a run in the runs table) or a *level* (the state at the end
of the day, read at the last step), and what it means. Components declare
their columns (see :class:`socialsim.mechanisms.component.Component`); the
step table and the runs table are assembled from the declarations, so a new
mechanism adds columns without touching a central list.

Examples
--------
>>> orders = MetricColumn.count("flash_sale_orders", "orders of today's flash sale")
>>> orders.dtype, orders.aggregate.value, orders.is_level
('int64', 'flow', False)
>>> MetricColumn.total("members_value", "RMB held by members", level=True).is_level
True
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = ["Aggregate", "MetricColumn", "check_columns"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Aggregate(StrEnum):
    """How a per-step column becomes a run's outcome."""

    FLOW = "flow"
    """An amount per day (orders, RMB): the run's outcome is the sum over its days."""
    LEVEL = "level"
    """The state at the end of the day (members, store owners): the outcome is the last value."""


@dataclass(frozen=True)
class MetricColumn:
    """One column of the per-step table.

    Attributes
    ----------
    name : str
        A lower-case identifier (``flash_sale_orders``).
    dtype : {"int64", "float64"}
        Counts are whole numbers, RMB amounts and shares are floats.
    aggregate : Aggregate
        Flow (summed over a run) or level (read at the last step).
    meaning : str
        What the column holds, with its unit, for people.
    """

    name: str
    dtype: Literal["int64", "float64"]
    aggregate: Aggregate = Aggregate.FLOW
    meaning: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or keyword.iskeyword(self.name):
            raise ValueError(
                f"a metric column's name is a lower-case identifier (letters, digits, '_'), "
                f"got {self.name!r}"
            )
        if self.dtype not in ("int64", "float64"):
            raise ValueError(f"dtype must be 'int64' or 'float64', got {self.dtype!r}")
        object.__setattr__(self, "aggregate", Aggregate(self.aggregate))

    @property
    def is_level(self) -> bool:
        """Whether the column is a level (read at the last step) rather than a flow."""
        return self.aggregate is Aggregate.LEVEL

    @classmethod
    def count(cls, name: str, meaning: str = "", *, level: bool = False) -> MetricColumn:
        """Return a whole-number column (``int64``): a flow by default."""
        return cls(name, "int64", Aggregate.LEVEL if level else Aggregate.FLOW, meaning)

    @classmethod
    def total(cls, name: str, meaning: str = "", *, level: bool = False) -> MetricColumn:
        """Return a real-number column (``float64``, RMB or a share): a flow by default."""
        return cls(name, "float64", Aggregate.LEVEL if level else Aggregate.FLOW, meaning)


def check_columns(columns: Iterable[MetricColumn], taken: Iterable[str] = ()) -> None:
    """Refuse two columns of the same name (among `columns`, or with names already `taken`).

    Raises
    ------
    ValueError
        Naming the column declared twice.

    Examples
    --------
    >>> check_columns([MetricColumn.count("a"), MetricColumn.count("b")], taken=["step"])
    >>> check_columns([MetricColumn.count("step")], taken=["step"])
    Traceback (most recent call last):
    ...
    ValueError: metric column 'step' is declared twice
    """
    seen = set(taken)
    for column in columns:
        if column.name in seen:
            raise ValueError(f"metric column {column.name!r} is declared twice")
        seen.add(column.name)
