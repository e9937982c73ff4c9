"""A PNG chart of the figures: sales per day as bars, orders per day as a line.

Rendered on matplotlib's Agg canvas directly (no display, no pyplot and its global
figure state), so it can run in a worker thread. Korean labels need a CJK font: Debian's
fonts-noto-cjk is used when it is installed; without it the chart falls back to the default
font and English labels.
"""

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.services.stats import Figures

logger = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKkr-Regular.otf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),  # Arch, Fedora
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
)

SIZE_INCHES = (8, 4.5)
DPI = 100
BAR_COLOUR = "#4c9be8"
LINE_COLOUR = "#e8684c"


@dataclass(frozen=True)
class ChartLabels:
    """The words on the chart, translated by the caller."""

    title: str
    sales: str
    orders: str
    empty: str

    @classmethod
    def english(cls, result: Figures) -> "ChartLabels":
        """Labels the default font can always draw."""
        return cls(
            title=f"Sales and orders\n{result.start.isoformat()} to {result.end.isoformat()}",
            sales="Sales (won)",
            orders="Orders",
            empty="No orders in this period",
        )

    def texts(self) -> tuple[str, ...]:
        return (self.title, self.sales, self.orders, self.empty)


@cache
def cjk_font() -> Path | None:
    """The Noto Sans CJK file, registered with matplotlib; None when it is not installed."""
    for path in CJK_FONT_CANDIDATES:
        if path.is_file():
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                logger.warning("cannot load the CJK font %s", path, exc_info=True)
                continue
            return path
    logger.warning("no CJK font found (apt-get install fonts-noto-cjk): charts in English")
    return None


@cache
def _default_charmap() -> frozenset[int]:
    """The code points matplotlib's default font can draw."""
    path = font_manager.findfont(font_manager.FontProperties(), fallback_to_default=True)
    return frozenset(FT2Font(path).get_charmap())


def _drawable(labels: ChartLabels) -> bool:
    """Whether the default font has a glyph for every character of the labels."""
    charmap = _default_charmap()
    return all(ord(char) in charmap for text in labels.texts() for char in text if char != "\n")


def _won(value: float, _position: float) -> str:
    return f"{value:,.0f}"


def _font(path: Path | None, size: float | None = None) -> font_manager.FontProperties:
    """The CJK font when there is one, else matplotlib's default."""
    return font_manager.FontProperties(fname=path, size=size)


def render_png(result: Figures, labels: ChartLabels) -> bytes:
    """Sales (bars, left axis) and orders (line, right axis) per day, as PNG bytes."""
    font_path = cjk_font()
    if font_path is None and not _drawable(labels):
        labels = ChartLabels.english(result)

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    sales_axis = figure.add_subplot()
    orders_axis = sales_axis.twinx()
    days = [row.day for row in result.by_day]
    short = len(days) <= 31
    bars = sales_axis.bar(
        days,
        [row.sales for row in result.by_day],
        width=0.8 if short else 1.0,
        color=BAR_COLOUR,
        label=labels.sales,
    )
    (line,) = orders_axis.plot(
        days,
        [row.orders for row in result.by_day],
        color=LINE_COLOUR,
        marker="o" if short else None,
        markersize=4,
        linewidth=2 if short else 1,
        label=labels.orders,
    )

    sales_axis.set_title(labels.title, fontproperties=_font(font_path, 13))
    sales_axis.set_ylabel(labels.sales, fontproperties=_font(font_path), color=BAR_COLOUR)
    orders_axis.set_ylabel(
        labels.orders,
        fontproperties=_font(font_path),
        color=LINE_COLOUR,
        rotation=270,
        labelpad=14,
    )
    # headroom above the tallest bar for the legend; a sensible scale when there is nothing
    top_sales = max((row.sales for row in result.by_day), default=0)
    top_orders = max((row.orders for row in result.by_day), default=0)
    sales_axis.set_ylim(0, top_sales * 1.2 if top_sales else 10_000)
    orders_axis.set_ylim(0, top_orders * 1.2 if top_orders else 5)
    sales_axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    sales_axis.yaxis.set_major_formatter(FuncFormatter(_won))
    orders_axis.yaxis.set_major_locator(MaxNLocator(integer=True))

    if days:
        # at least a week's width, so that one or two days do not make giant bars
        pad = max(0.6, (7 - len(days)) / 2 + 0.6)
        sales_axis.set_xlim(mdates.date2num(days[0]) - pad, mdates.date2num(days[-1]) + pad)
    if len(days) <= 14:
        sales_axis.set_xticks(days)
    else:
        sales_axis.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    sales_axis.xaxis.set_major_formatter(
        mdates.DateFormatter("%m/%d" if len(days) <= 92 else "%Y-%m")
    )
    sales_axis.grid(axis="y", alpha=0.3)
    sales_axis.set_axisbelow(True)
    sales_axis.spines["top"].set_visible(False)
    orders_axis.spines["top"].set_visible(False)

    if result.orders:
        sales_axis.legend(
            [bars, line],
            [labels.sales, labels.orders],
            loc="upper left",
            ncols=2,
            prop=_font(font_path),
            frameon=False,
        )
    else:
        sales_axis.text(
            0.5,
            0.5,
            labels.empty,
            transform=sales_axis.transAxes,
            ha="center",
            va="center",
            color="grey",
            fontproperties=_font(font_path, 14),
        )

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"optimize": True})
    return buffer.getvalue()
