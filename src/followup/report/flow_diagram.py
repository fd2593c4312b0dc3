"""The patient-flow diagram (CONSORT-like): treated → each step → its breakdown, as boxes."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from followup.analysis.flow import Flow

_BLUE = "#1f4e79"


def flow_figure(flow: Flow) -> Figure:
    """One row per step, its breakdowns as a row of smaller boxes beside the arrow to the next."""
    rows: list[tuple[str, list[str]]] = [(f"Treated\nn = {flow.treated}", [])]
    for step in flow.steps:
        rows.append(
            (f"{step.name}\nn = {step.count} ({step.percent_of_treated:.1f}% of treated)", [])
        )
        for breakdown in step.breakdowns:
            rows.append(
                (
                    breakdown.label,
                    [f"{lv.label}\nn = {lv.count}" for lv in breakdown.levels if lv.count],
                )
            )
    height = 1.1 * len(rows)
    figure = plt.figure(figsize=(6.4, 0.2 + 0.75 * len(rows)))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 10)
    axes.set_ylim(0, height)
    axes.axis("off")
    for k, (text, parts) in enumerate(rows):
        y = height - 0.55 - 1.1 * k
        if parts:
            width = 9.6 / len(parts)
            for j, part in enumerate(parts):
                _box(axes, 0.2 + width * (j + 0.5), y, width - 0.25, part, small=True)
            axes.text(5, y + 0.5, text, ha="center", va="bottom", fontsize=7, color="#444")
        else:
            _box(axes, 5, y, 5.2, text, small=False)
        if k and not parts:
            axes.annotate(
                "",
                xy=(5, y + 0.38),
                xytext=(5, y + 0.72),
                arrowprops={"arrowstyle": "->", "color": _BLUE},
            )
    return figure


def _box(axes: Axes, x: float, y: float, width: float, text: str, *, small: bool) -> None:
    axes.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.36),
            width,
            0.72,
            boxstyle="round,pad=0.02",
            linewidth=1.1,
            edgecolor=_BLUE,
            facecolor="#f3f7fb" if small else "white",
        )
    )
    axes.text(x, y, text, ha="center", va="center", fontsize=7.5 if small else 8.5)
