"""Showing a count to people: a plain-text stage table and a PNG chart.

``stage_table`` is pure (result in, text out). It lists candidates as rows
(winners first, in the order elected, then the others from last excluded to
first) and stages as columns, in blocks narrow enough for a terminal, with a
line under each block saying what each stage did. Values are printed exactly,
to the count's own precision.

``stage_chart`` writes one PNG per result. A count with several stages is a
heat table: a row per candidate, a column per stage, each cell coloured by the
candidate's share of the quota (for IRV, of the majority needed at that
stage) and labelled with the total; a bold frame marks where a candidate was
elected, a cross where excluded, and the colour bar marks the quota line. A
single-stage count (FPTP, approval) is a bar chart with the winners
highlighted. matplotlib is imported only when a chart is drawn, through its
Agg canvas, so no display or global pyplot state is involved. Every text is
drawn as written: mathtext and TeX are off while a chart is made, so a
candidate named ``Save $5 for $10`` keeps its dollar signs.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from services.tally.counting import CountResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

BLOCK_WIDTH = 100
MAX_CHART_ROWS = 30
MAX_LABELLED_CELLS = 900
TOP_SHARE = 1.25


def _fmt(units: int, decimals: int) -> str:
    if decimals == 0:
        return f"{units:,}"
    return f"{Decimal(units).scaleb(-decimals):,.{decimals}f}"


def row_order(result: CountResult) -> list[str]:
    """Winners in order elected, then the rest from last excluded to first."""
    gone: dict[str, int] = {}
    for stage in result.rounds:
        for name in stage.excluded:
            gone[name] = stage.number
    final = result.rounds[-1].totals
    rest = [c for c in result.candidates if c not in result.winners]
    rest.sort(key=lambda c: (-gone.get(c, len(result.rounds) + 1), -final[c]))
    return list(result.winners) + rest


def describe(stage_action: str, subject: str | None) -> str:
    if stage_action == "surplus transfer":
        return f"surplus of {subject} transferred"
    if stage_action == "exclusion":
        return f"{subject} excluded, papers transferred"
    return stage_action


def stage_table(result: CountResult, title: str = "") -> str:
    """The count as a plain-text table of totals by stage."""
    d = result.decimals
    head = f"{result.method}, {result.seats} seat{'s' if result.seats != 1 else ''}"
    if result.quota is not None:
        head += f", quota {_fmt(result.quota, d)}"
    head += f"; valid {result.valid:,}, invalid {result.invalid:,}"
    lines = [f"{title}: {head}" if title else head, ""]
    rows = row_order(result)
    name_width = max(len(n) for n in [*rows, "Non-transferable", "Lost to fractions"])
    marks: dict[tuple[str, int], str] = {}
    excluded_at: dict[str, int] = {}
    for stage in result.rounds:
        for name in stage.elected:
            marks[name, stage.number] = " E"
        for name in stage.excluded:
            marks[name, stage.number] = " X"
            excluded_at[name] = stage.number
    cells = {
        (name, stage.number): (
            "-  "
            if stage.number > excluded_at.get(name, stage.number)
            else _fmt(stage.totals[name], d) + marks.get((name, stage.number), "  ")
        )
        for stage in result.rounds
        for name in rows
    }
    for stage in result.rounds:
        cells["Non-transferable", stage.number] = _fmt(stage.exhausted, d) + "  "
        cells["Lost to fractions", stage.number] = _fmt(stage.lost, d) + "  "
    extra = ["Non-transferable"] + (["Lost to fractions"] if result.rounds[-1].lost else [])
    width = max(max(len(c) for c in cells.values()), len("Stage 999  "))
    per_block = max(1, (BLOCK_WIDTH - name_width - 2) // (width + 1))
    stages = list(result.rounds)
    for start in range(0, len(stages), per_block):
        block = stages[start : start + per_block]
        header = (
            " " * name_width + "  " + " ".join(f"Stage {s.number}  ".rjust(width) for s in block)
        )
        lines.append(header.rstrip())
        for name in rows + extra:
            row = " ".join(cells[name, s.number].rjust(width) for s in block)
            lines.append(f"{name.ljust(name_width)}  {row}".rstrip())
        for s in block:
            what = describe(s.action, s.subject)
            if s.elected:
                what += f"; elected: {', '.join(s.elected)}"
            if s.note:
                what += f" ({s.note})"
            lines.append(f"  Stage {s.number}: {what}")
        lines.append("")
    lines.append(f"Elected: {', '.join(result.winners) if result.winners else 'nobody'}")
    for tie in result.ties:
        how = (
            f"looked back to stage {tie.decided_at_stage}"
            if tie.method == "look-back"
            else f"lot drawn with seed {tie.seed!r} among {', '.join(tie.drawn_among)}"
        )
        lines.append(
            f"Tie at stage {tie.stage} ({tie.purpose}) between {', '.join(tie.tied)}:"
            f" {how}; {tie.chosen} chosen"
        )
    return "\n".join(lines) + "\n"


def stage_chart(result: CountResult, path: str | Path, title: str = "") -> Path:
    """Draw the count as a PNG at ``path``; returns the path written."""
    import matplotlib

    # Names and titles are people's words, never markup: no "$...$" mathtext, no TeX.
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw_chart(result, Path(path), title)


def _draw_chart(result: CountResult, path: Path, title: str) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    heading = f"{title}\n" if title else ""
    heading += f"{result.method.upper()}, {result.seats} seat{'s' if result.seats != 1 else ''}"
    if result.quota is not None:
        heading += f", quota {_fmt(result.quota, result.decimals)}"
    scale = 10**result.decimals
    rows = row_order(result)
    if len(result.rounds) == 1:
        totals = result.rounds[0].totals
        shown = sorted(rows, key=lambda c: -totals[c])[:MAX_CHART_ROWS]
        fig = Figure(figsize=(9, 1.2 + 0.35 * len(shown)))
        ax = fig.add_subplot()
        colours = ["#1b7837" if c in result.winners else "#bdbdbd" for c in shown]
        values = [totals[c] / scale for c in shown]
        ax.barh(range(len(shown)), values, color=colours)
        ax.set_yticks(range(len(shown)), shown)
        ax.invert_yaxis()
        for y, v in enumerate(values):
            ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center")
        ax.set_xlabel("votes (winners in green)")
        ax.margins(x=0.12)
    else:
        fig = _heat_table(result, rows)
        ax = fig.axes[0]
    ax.set_title(heading)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig).print_png(str(path))
    return path


def _heat_table(result: CountResult, rows: list[str]) -> Figure:
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure

    stages = list(result.rounds)
    if len(rows) > MAX_CHART_ROWS:
        peak = {c: max(s.totals[c] for s in stages) for c in rows}
        keep = set(result.winners) | set(sorted(rows, key=lambda c: -peak[c])[: MAX_CHART_ROWS - 1])
        rows = [c for c in rows if c in keep]
    scale = 10**result.decimals
    grid = np.array([[s.totals[c] / scale for s in stages] for c in rows], dtype=float)
    quotas = np.array([(s.quota or result.quota or 1) / scale for s in stages], dtype=float)
    share = np.clip(grid / quotas[None, :], 0, TOP_SHARE)
    gone = np.zeros(grid.shape, dtype=bool)
    index = {c: i for i, c in enumerate(rows)}
    for j, stage in enumerate(stages):
        for name in stage.excluded:
            if name in index:
                gone[index[name], j:] = True
    share[gone] = np.nan
    # Below the quota: pale to mid green; at or above it: dark blue, so reaching it shows.
    cut = 1 / TOP_SHARE
    cmap = LinearSegmentedColormap.from_list(
        "quota",
        [(0, "#ffffe5"), (cut - 1e-6, "#41ab5d"), (cut, "#2166ac"), (1, "#053061")],
    ).with_extremes(bad="white")
    fig = Figure(figsize=(min(4 + 0.9 * len(stages), 40), 1.5 + 0.38 * len(rows)))
    ax = fig.add_subplot()
    image = ax.imshow(share, aspect="auto", cmap=cmap, vmin=0, vmax=TOP_SHARE)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    bar.ax.axhline(1.0, color="#b2182b", linewidth=2)
    needed = "the majority needed" if result.method == "irv" else "quota"
    bar.set_label(f"share of {needed} (red line: reached; blue: at or over it)")
    ax.set_yticks(range(len(rows)), rows)
    step = max(1, len(stages) // 40)
    ax.set_xticks(range(0, len(stages), step), [str(s.number) for s in stages[::step]])
    ax.set_xlabel("stage (frame: elected, cross: excluded)")
    for j, stage in enumerate(stages):
        for name in stage.elected:
            if name in index:
                ax.add_patch(_frame(index[name], j))
        for name in stage.excluded:
            if name in index:
                ax.plot(j, index[name], marker="x", color="#b2182b", markersize=10)
    if grid.size <= MAX_LABELLED_CELLS:
        for i in range(len(rows)):
            for j in range(len(stages)):
                if not gone[i, j]:
                    colour = "white" if share[i, j] > 0.6 else "black"
                    ax.text(
                        j,
                        i,
                        f"{grid[i, j]:,.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
    return fig


def _frame(row: int, column: int) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="#08306b", linewidth=2.5
    )
