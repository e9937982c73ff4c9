"""The stats chart: a small PNG for any period, with Korean labels or an English fallback."""

import struct
from datetime import date, timedelta

import pytest

from bot.services import stats_chart
from bot.services.stats import CategoryRow, DayRow, Figures
from bot.services.stats_chart import ChartLabels

KOREAN = ChartLabels(
    title="공배 통계\n2026-11-01 ~ 2026-11-30",
    sales="매출 (원)",
    orders="주문 수",
    empty="이 기간에는 주문이 없어요",
)
START = date(2026, 11, 1)


def figures(days: int, *, busy: bool = True) -> Figures:
    rows = tuple(
        DayRow(START + timedelta(days=n), orders, orders * 18_500)
        for n in range(days)
        for orders in [(n * 7 % 11) if busy else 0]
    )
    orders = sum(row.orders for row in rows)
    sales = sum(row.sales for row in rows)
    return Figures(
        start=START,
        end=START + timedelta(days=days - 1),
        orders=orders,
        sales=sales,
        active_shops=3 if orders else 0,
        average_order=sales // orders if orders else 0,
        repeat_rate=0.25,
        fees_saved=sales // 10,
        by_day=rows,
        by_category=(CategoryRow("chicken", orders, sales),) if orders else (),
    )


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize("days", [1, 7, 30, 366])
def test_a_period_with_orders_is_a_small_png(days: int) -> None:
    png = stats_chart.render_png(figures(days), KOREAN)
    assert png.startswith(b"\x89PNG")
    assert size_of(png) == (800, 450)
    assert len(png) < 150_000


def test_an_empty_period_is_a_png_too() -> None:
    png = stats_chart.render_png(figures(7, busy=False), KOREAN)
    assert png.startswith(b"\x89PNG")
    assert size_of(png) == (800, 450)


def test_the_noto_cjk_font_is_found_when_installed() -> None:
    font = stats_chart.cjk_font()
    if font is None:
        pytest.skip("fonts-noto-cjk is not installed here")
    assert font.name.startswith("NotoSansCJK")


def test_without_a_cjk_font_the_labels_fall_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stats_chart, "cjk_font", lambda: None)
    assert not stats_chart._drawable(KOREAN)
    assert stats_chart._drawable(ChartLabels.english(figures(7)))
    # no "Glyph missing" warning (pytest turns warnings into errors): English was drawn
    png = stats_chart.render_png(figures(7), KOREAN)
    assert png.startswith(b"\x89PNG")
    empty = stats_chart.render_png(figures(3, busy=False), KOREAN)
    assert empty.startswith(b"\x89PNG")
