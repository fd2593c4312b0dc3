"""Kaplan-Meier and cumulative-incidence figures as journals print them.

Step curves with censor marks, the numbers at risk under the x axis at its ticks, the test's P in
the plot, time in the report's unit. Each figure is written as PNG (for Word) and SVG (for the
HTML and PDF report, and for journals that take vector art).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from followup.analysis.estimates import GroupEstimate
from followup.report.numbers import p_value

COLOURS = ("#1f4e79", "#c0392b", "#2e8b57", "#8e44ad", "#d4860b", "#555555")
mpl.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "svg.fonttype": "none",
        "svg.hashsalt": "followup",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


@dataclass(frozen=True)
class FigureFiles:
    """One figure's files and its SVG text (inlined in the HTML)."""

    name: str
    title: str
    png: Path
    svg: Path
    svg_text: str


def survival_figure(
    groups: Sequence[GroupEstimate],
    *,
    title: str,
    unit: str,
    y_label: str,
    p: float | None,
    test: str,
    incidence: bool = False,
) -> Figure:
    """The curves, censor marks, legend with P, and the numbers-at-risk table beneath."""
    rows = len(groups)
    figure = plt.figure(figsize=(6.4, 4.2 + 0.22 * rows))
    longest = max((len(_short(g.group)) for g in groups), default=8)
    left = max(0.13, 0.03 + 0.011 * longest)  # room for the at-risk row names left of the axis
    axes = figure.add_axes((left, 0.16 + 0.05 * rows, 0.95 - left, 0.72 - 0.05 * rows))
    last = max((g.curve.time[-1] for g in groups), default=1.0)
    # Every group's grid is whole units from 0; the longest one is the axis' (not the first's).
    ticks = max((g.curve.at_risk_times for g in groups), key=len, default=(0.0,))
    for k, group in enumerate(groups):
        colour = COLOURS[k % len(COLOURS)]
        curve = group.curve
        counted = "events" if incidence else "deaths"
        label = f"{group.group} (n = {group.patients}, {counted} = {group.events})"
        axes.step(
            [*curve.time, last],
            [100 * v for v in (*curve.estimate, curve.estimate[-1])],
            where="post",
            color=colour,
            linewidth=1.6,
            label=label if rows > 1 else None,
        )
        if curve.censor_times:
            axes.plot(
                curve.censor_times,
                [100 * v for v in curve.censor_estimates],
                linestyle="none",
                marker="|",
                markersize=8,
                markeredgewidth=1.2,
                color=colour,
            )
    axes.set_ylim(-2, 102)
    axes.set_xlim(0, max(ticks[-1], last, 1.0) * 1.02)
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"{t:g}" for t in ticks])
    axes.set_xlabel(f"Time ({unit})")
    axes.set_ylabel(y_label + " (%)")
    # Bold 10 pt: about 80 characters across the figure's full width; wrap to the axes' width.
    width = min(64, max(30, int(80 * (0.95 - left))))
    axes.set_title(textwrap.fill(title, width), loc="left", fontsize=10, fontweight="bold")
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    if rows > 1:
        axes.legend(
            loc="upper right" if not incidence else "lower right",
            frameon=False,
            fontsize=8,
            title=f"{test} {p_value(p)}" if p is not None else None,
            title_fontsize=8,
        )
    _at_risk_table(figure, axes, groups, ticks)
    return figure


def _at_risk_table(
    figure: Figure, axes: Axes, groups: Sequence[GroupEstimate], ticks: Sequence[float]
) -> None:
    """Numbers at risk aligned with the x ticks, one row per group, coloured as its curve."""
    box = axes.get_position()
    figure.text(0.01, box.y0 - 0.085, "Number at risk", fontsize=8, fontweight="bold")
    for k, group in enumerate(groups):
        y = box.y0 - 0.085 - 0.045 * (k + 1)
        colour = COLOURS[k % len(COLOURS)] if len(groups) > 1 else "black"
        figure.text(0.01, y, _short(group.group), fontsize=7.5, color=colour)
        for t, n in zip(group.curve.at_risk_times, group.curve.at_risk, strict=True):
            if t in ticks:
                x = box.x0 + box.width * (t - axes.get_xlim()[0]) / (
                    axes.get_xlim()[1] - axes.get_xlim()[0]
                )
                figure.text(x, y, str(n), fontsize=7.5, ha="center", color=colour)


def _short(name: str) -> str:
    """A group's name as the at-risk table has room for it."""
    return name if len(name) <= 18 else name[:17] + "…"


def write_figure(figure: Figure, folder: Path, name: str, title: str) -> FigureFiles:
    """PNG at print resolution and SVG, with no timestamps so that reruns give identical files."""
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    figure.savefig(png, dpi=200, metadata={"Software": None})
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    text = buffer.getvalue()
    svg.write_text(text, encoding="utf-8")
    return FigureFiles(name, title, png, svg, text[text.index("<svg") :])
