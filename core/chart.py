"""The digest's chart: tickets opened vs closed per local day, and SLA attainment per day, as a PNG.

matplotlib is imported here, inside the function, so importing ``core`` never loads it. The figure is drawn
on an Agg canvas of its own (``matplotlib.figure.Figure`` + ``FigureCanvasAgg``): no display, no pyplot and
no global backend state, so it is safe in a server process and in a worker thread. Rendering takes tens of
milliseconds of CPU (the first call also pays matplotlib's import): callers in an event loop should run it
in a thread (``await asyncio.to_thread(render_chart, digest)``).
"""

from __future__ import annotations

import io

from core.digest import Digest

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 × 500 px: legible in a chat message preview
OPENED_COLOUR, CLOSED_COLOUR, SLA_COLOUR = "#4C78A8", "#72B7B2", "#E45756"


def render_chart(digest: Digest) -> bytes:
    """Draw the digest's series and return PNG bytes (also for a digest with no tickets at all)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    days = digest.series
    x = list(range(len(days)))
    labels = [f"{d.day:%a}\n{d.day.day} {d.day:%b}" for d in days]
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    # fixed margins for the fixed size: a layout engine would measure every label first and double the time
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    fig.subplots_adjust(left=0.1, right=0.98, top=0.91, bottom=0.15, hspace=0.12)
    fig.suptitle(f"Tickets per day, last {len(days)} days ({digest.tz.key})", fontsize=13)

    width = 0.4
    top.bar([i - width / 2 for i in x], [d.opened for d in days], width, label="Opened", color=OPENED_COLOUR)
    top.bar([i + width / 2 for i in x], [d.closed for d in days], width, label="Closed", color=CLOSED_COLOUR)
    top.set_ylabel("Tickets")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_ylim(bottom=0, top=max([1] + [max(d.opened, d.closed) for d in days]) * 1.3)  # room for the legend
    top.legend(loc="upper left", frameon=False, ncols=2)
    top.grid(axis="y", alpha=0.3)

    rates = [d.sla.attainment for d in days]
    if any(r is not None for r in rates):
        # a gap where a day decided no response target, rather than a line drawn through it
        bottom.plot(x, [r if r is not None else float("nan") for r in rates], marker="o", color=SLA_COLOUR)
    else:
        bottom.text(0.5, 0.5, "No response targets decided", ha="center", va="center", transform=bottom.transAxes)
    bottom.set_ylabel("SLA attainment")
    bottom.set_ylim(0, 1.05)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(x, labels, fontsize=8)
    bottom.set_xlim(-0.6, len(days) - 0.4)
    bottom.set_xlabel(f"Local day ({digest.tz.key})")

    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
