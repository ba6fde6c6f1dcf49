"""Charts as SVG images, drawn on the server with matplotlib: nothing is loaded from the internet."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from matplotlib.figure import Figure  # a Figure of its own: no pyplot, no display, no global state
from matplotlib.ticker import MaxNLocator

# Colour-blind-safe pair (Okabe-Ito) with enough contrast on white.
WOMEN, MEN, OTHER = "#0072B2", "#D55E00", "#6B6B6B"


def _svg(figure: Figure, title: str) -> str:
    """The chart as an <img> of an SVG data URI, named for screen readers (the figures are also in a table).

    Not inline SVG: matplotlib styles its drawing with style attributes and a <style> element, which
    the pages' Content-Security-Policy (no inline style or script) would strip. An image is its own
    document: its styles apply inside it, and it can run no script.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    data = base64.b64encode(svg[svg.index("<svg") :].encode()).decode()
    return f'<img class="chart" src="data:image/svg+xml;base64,{data}" alt="{html.escape(title)}">'


def served_by_gender(per_month: list[dict[str, Any]], labels: dict[str, str]) -> str:
    figure = Figure(figsize=(7, 2.8))
    axes = figure.subplots()
    months = [m["month"] for m in per_month]
    women = [m["female"] for m in per_month]
    men = [m["male"] for m in per_month]
    rest = [m["non_binary"] + m["unknown"] for m in per_month]
    axes.bar(months, women, color=WOMEN, label=labels["women"])
    axes.bar(months, men, bottom=women, color=MEN, label=labels["men"])
    axes.bar(
        months,
        rest,
        bottom=[w + m for w, m in zip(women, men, strict=True)],
        color=OTHER,
        label=f"{labels['non_binary']} / {labels['unknown']}",
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # people are counted in whole numbers
    axes.legend(frameon=False, fontsize=8)
    axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, labels["served_per_month"])


def bars(keys: list[str], values: list[int], title: str, *, horizontal: bool = False) -> str:
    figure = Figure(figsize=(7, 2.8 if not horizontal else max(2.0, 0.28 * len(keys))))
    axes = figure.subplots()
    if horizontal:
        axes.barh(keys, values, color=WOMEN)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.invert_yaxis()
        axes.tick_params(axis="y", labelsize=7)
    else:
        axes.bar(keys, values, color=WOMEN)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, title)


def titled_svg(figure: Figure, title: str, description: str, described_by: str) -> str:
    """The chart as an SVG image that names itself (``<title>``, ``<desc>``, ``role="img"``) and points to
    the table beside it, which holds the same figures for those who cannot see the drawing."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    opened = svg.index(">") + 1
    named = (
        svg[: opened - 1]
        + f' role="img" aria-label="{html.escape(title)}">'
        + f"<title>{html.escape(title)}</title><desc>{html.escape(description)}</desc>"
        + svg[opened:]
    )
    data = base64.b64encode(named.encode()).decode()
    return (
        f'<img class="chart" src="data:image/svg+xml;base64,{data}" alt="{html.escape(title)}" '
        f'aria-describedby="{html.escape(described_by)}">'
    )
