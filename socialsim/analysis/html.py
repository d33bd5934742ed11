"""Pieces of the self-contained HTML reports: tables, notes, embedded figures, the page.

Shared by the sweep and run report (:mod:`socialsim.analysis.report`) and the
calibration report (:mod:`socialsim.calibration.report`). Every piece escapes
the text it is given; figures are drawn on a :class:`~matplotlib.figure.Figure`
with the Agg canvas (never through pyplot, so no figure is left open) and
embedded as PNG data URIs, so a page opens without a server or the network.
"""

from __future__ import annotations

import base64
import html as _stdlib_html
import io
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from socialsim._version import __version__

__all__ = [
    "CSS",
    "design_value",
    "escape",
    "figure",
    "figure_grid",
    "figure_of",
    "figure_row",
    "format_number",
    "note",
    "page",
    "pairs",
    "png",
    "pre",
    "table",
]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
pre{background:#f6f6f6;padding:.7em;overflow-x:auto;font-size:.85em}
.figs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #ddd}
.note{color:#555;font-size:.92em}.warn{background:#fff4e0;border-left:4px solid #e69500;
padding:.4em .8em}nav ol{columns:2}
""".strip()
"""The pages' whole style sheet, inlined in each page."""


def format_number(value: Any) -> str:
    """Format a number for the report's tables.

    Parameters
    ----------
    value : int, float or None
        The number; None and NaN are shown as ``n/a``.

    Returns
    -------
    str
        Integers with thousands separators; other values of magnitude at
        least 1,000 rounded to the unit with separators; the rest with four
        significant digits (``format(value, ".4g")``).

    Examples
    --------
    >>> format_number(12345), format_number(12345.67), format_number(56.15557)
    ('12,345', '12,346', '56.16')
    >>> format_number(0.0280), format_number(float("nan")), format_number(None)
    ('0.028', 'n/a', 'n/a')
    """
    if value is None or isinstance(value, bool):
        return "n/a" if value is None else str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def escape(value: Any) -> str:
    """Return ``str(value)`` escaped for HTML text and attribute values.

    Examples
    --------
    >>> escape('<b>"Tom" & Jerry</b>'), escape(None)
    ('&lt;b&gt;&quot;Tom&quot; &amp; Jerry&lt;/b&gt;', 'None')
    """
    return _stdlib_html.escape(str(value))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] | None = None
) -> str:
    """Return an HTML table.

    Parameters
    ----------
    headers : sequence of str
        Column headings.
    rows : sequence of sequences
        The cells, as values turned into text with ``str`` and escaped here.
    numeric : sequence of bool, optional
        Per column, whether its cells are numbers (right-aligned); none are
        if omitted.

    Returns
    -------
    str
        The ``<table>`` element.

    Examples
    --------
    >>> text = table(["a", "n"], [["x<y", 3]], [False, True])
    >>> "<td>x&lt;y</td>" in text, '<td class="n">3</td>' in text
    (True, True)
    """
    numeric = numeric or [False] * len(headers)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{escape(v)}</td>' if num else f"<td>{escape(v)}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def pairs(rows: Sequence[tuple[str, Any]]) -> str:
    """Return a two-column table of ``(label, value)`` rows (see :func:`table`)."""
    return table(["", ""], [(k, v) for k, v in rows])


def note(text: str, warn: bool = False) -> str:
    """Return a paragraph of quiet commentary, or a highlighted warning if `warn`."""
    return f'<p class="{"warn" if warn else "note"}">{escape(text)}</p>'


def pre(text: str) -> str:
    """Return preformatted text (a config, a command)."""
    return f"<pre>{escape(text)}</pre>"


def png(fig: Figure) -> str:
    """Return `fig` rendered as a PNG at 90 dpi, base64-encoded for a data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_of(
    draw: Callable[[Figure], Any], caption: str, size: tuple[float, float] = (6, 3.8)
) -> str:
    """Draw on a fresh figure and embed it with its caption.

    Parameters
    ----------
    draw : callable
        Called with a new constrained-layout :class:`~matplotlib.figure.Figure`
        of `size` inches; it adds its own axes.
    caption : str
        The figure's caption and the image's alt text.
    size : (float, float)
        Width and height in inches.

    Returns
    -------
    str
        A ``<figure>`` with the PNG inline; if `draw` raises a ``ValueError``,
        ``KeyError`` or ``TypeError``, a note saying so instead (one bad
        figure does not lose the report).
    """
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # Agg whatever pyplot's backend is; nothing is registered with pyplot
    try:
        draw(fig)
    except (ValueError, KeyError, TypeError) as error:
        return note(f"{caption}: not drawn ({error})")
    data = png(fig)
    return (
        f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def figure(draw: Callable[[Axes], Any], caption: str, size: tuple[float, float] = (6, 3.8)) -> str:
    """Draw on the single axes of a fresh figure and embed it (see :func:`figure_of`)."""
    return figure_of(lambda fig: draw(fig.subplots()), caption, size)


def figure_grid(
    draw: Callable[[list[Axes]], Any],
    n: int,
    caption: str,
    panel: tuple[float, float] = (4.2, 3.2),
    columns: int = 3,
) -> str:
    """Draw `n` panels on one figure, `columns` to a row, and embed it (see :func:`figure_of`).

    Parameters
    ----------
    draw : callable
        Called with the list of `n` axes, in reading order (the unused
        cells of the last row are hidden).
    n : int
        The number of panels (at least 1).
    caption : str
        The figure's caption.
    panel : (float, float)
        Width and height of one panel in inches.
    columns : int
        Panels per row, at most.

    Returns
    -------
    str
        As :func:`figure_of`.
    """
    width, rows = min(n, columns), math.ceil(n / columns)

    def grid(fig: Figure) -> None:
        axes = fig.subplots(rows, width, squeeze=False).ravel()
        for ax in axes[n:]:
            ax.set_visible(False)
        draw(list(axes[:n]))

    return figure_of(grid, caption, size=(panel[0] * width, panel[1] * rows))


def figure_row(parts: Sequence[str]) -> str:
    """Return figures side by side, wrapping; nothing if there are none."""
    return f'<div class="figs">{"".join(parts)}</div>' if parts else ""


def page(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """Return the whole document.

    Parameters
    ----------
    title : str
        The page's title and top heading.
    sections : sequence of (str, str, str)
        ``(anchor, heading, body HTML)``; the contents list links the anchors.

    Returns
    -------
    str
        The HTML document, with the time it was written and socialsim's version.
    """
    toc = "".join(f'<li><a href="#{a}">{escape(h)}</a></li>' for a, h, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{escape(h)}</h2>{b}</section>' for a, h, b in sections)
    made = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="note">Report written {escape(made)} by socialsim {escape(__version__)}.</p>'
        f"<nav><h2>Contents</h2><ol>{toc}</ol></nav>{body}</body></html>\n"
    )


def design_value(value: Any) -> str:
    """Write a design point's parameter value for a table cell or a label.

    Examples
    --------
    >>> design_value(None), design_value(0.25), design_value("social")
    ('-', '0.25', 'social')
    """
    if value is None:
        return "-"  # an arm that leaves the key at its base value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
