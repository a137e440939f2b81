"""The period page's two charts, computed on the server (no charting script, nothing from a CDN):
the pair matrix as a heat map (an HTML table whose cell colour grows with the amount) and the net
positions as an inline SVG bar chart. Amounts stay integer fen; scales are integer arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from common.money import fen_to_yuan

# Names shortened for the matrix headers and the chart's labels (兵团 is not 新疆).
SHORT_NAMES = {
    "150000": "内蒙古",
    "450000": "广西",
    "540000": "西藏",
    "640000": "宁夏",
    "650000": "新疆",
    "660000": "兵团",
}
SUFFIXES = ("特别行政区", "自治区", "省", "市")

LEVELS = 100  # a cell's intensity: 1‥100 of the period's largest |amount|; 0 is an empty cell
LEGEND_LEVELS = (1, 25, 50, 75, 100)


def short_name(code: str, name: str) -> str:
    if code in SHORT_NAMES:
        return SHORT_NAMES[code]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    short: str


def units_of(regions: Iterable) -> list[Unit]:
    """The settlement units (Region rows, in code order) as the charts label them."""
    return [Unit(r.code, r.name, short_name(r.code, r.name)) for r in regions]


def _level(amount_fen: int, largest_fen: int) -> int:
    """1‥LEVELS, rounded up, so the smallest non-zero amount is still visibly coloured."""
    if largest_fen <= 0 or amount_fen == 0:
        return 0
    return max(1, -(-abs(amount_fen) * LEVELS // largest_fen))


def _colour(level: int, negative: bool = False) -> str:
    """Lightness from 95% (level 1) to 38% (level 100): red for what is owed, blue for a pair
    whose adjustments made it negative."""
    hue = "215 70%" if negative else "0 72%"
    return f"hsl({hue} {95 - (level * 57) // LEVELS}%)"


@dataclass(frozen=True)
class Cell:
    payer: Unit
    payee: Unit
    count: int = 0
    amount_fen: int = 0
    level: int = 0  # 0: no obligation between the two

    @property
    def diagonal(self) -> bool:
        return self.payer.code == self.payee.code

    @property
    def filled(self) -> bool:
        return self.count > 0

    @property
    def style(self) -> str:
        if not self.filled:
            return ""
        text = "color:#fff;" if self.level > 55 else ""
        return f"background:{_colour(self.level, self.amount_fen < 0)};{text}"

    @property
    def title(self) -> str:
        if self.diagonal:
            return f"{self.payer.name}（本省）"
        head = f"{self.payer.name} → {self.payee.name}"
        if not self.filled:
            return f"{head}：无"
        return f"{head}：{fen_to_yuan(self.amount_fen)} 元，{self.count} 笔"


@dataclass(frozen=True)
class HeatRow:
    payer: Unit
    cells: list[Cell]
    payable_fen: int  # the row's sum: what the payer owes, gross


@dataclass(frozen=True)
class HeatMap:
    units: list[Unit]
    rows: list[HeatRow]
    largest_fen: int
    has_negative: bool

    @property
    def legend(self) -> list[dict]:
        return [
            {
                "level": level,
                "style": f"background:{_colour(level)}",
                "fen": -(-self.largest_fen * level // LEVELS),
            }
            for level in LEGEND_LEVELS
        ]

    @property
    def negative_style(self) -> str:
        return f"background:{_colour(LEVELS // 2, negative=True)}"


def heat_map(pairs: Iterable, units: list[Unit]) -> HeatMap:
    """Rows = payer, columns = payee, every unit in `units` order; `pairs` are PairTotal rows
    (a province's finance gets only its own, so only its row and column are filled)."""
    by_pair = {(p.payer_id, p.payee_id): p for p in pairs}
    largest = max((abs(p.amount_fen) for p in by_pair.values()), default=0)
    rows = []
    for payer in units:
        cells = []
        for payee in units:
            pair = by_pair.get((payer.code, payee.code))
            if pair is None:
                cells.append(Cell(payer, payee))
            else:
                level = _level(pair.amount_fen, largest)
                cells.append(Cell(payer, payee, pair.count, pair.amount_fen, level))
        rows.append(HeatRow(payer, cells, sum(c.amount_fen for c in cells)))
    return HeatMap(units, rows, largest, any(p.amount_fen < 0 for p in by_pair.values()))


# --- net positions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    unit: Unit
    net_fen: int
    length: int  # px from the zero axis

    @property
    def receives(self) -> bool:
        return self.net_fen > 0


BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 76  # the province names, left of the plot
HALF_WIDTH = 300  # px on each side of the zero axis
AMOUNT_ROOM = 130  # for the 元 label beyond the longest bar
TOP = 30  # room for the two captions
BOTTOM = 8


def net_bars(positions: Iterable, units: list[Unit]) -> list[Bar]:
    """One bar per province with a non-zero net, largest receiver first, largest payer last."""
    by_code = {u.code: u for u in units}
    nets = [(p.province_id, p.net_fen) for p in positions if p.net_fen != 0]
    largest = max((abs(net) for _, net in nets), default=0)
    nets.sort(key=lambda item: (-item[1], item[0]))
    return [
        Bar(
            by_code.get(code) or Unit(code, code, code),
            net,
            max(1, abs(net) * HALF_WIDTH // largest),
        )
        for code, net in nets
    ]


def net_position_svg(bars: list[Bar]) -> SafeString:
    """The bars as inline SVG: receivers (net > 0) to the right of the zero axis in green,
    payers to the left in red, each labelled with its net in 元."""
    if not bars:
        return SafeString("")
    axis = LABEL_WIDTH + AMOUNT_ROOM + HALF_WIDTH
    width = axis + HALF_WIDTH + AMOUNT_ROOM
    height = TOP + len(bars) * (BAR_HEIGHT + BAR_GAP) + BOTTOM
    rows = []
    for i, bar in enumerate(bars):
        y = TOP + i * (BAR_HEIGHT + BAR_GAP)
        middle = y + BAR_HEIGHT // 2 + 5
        x = axis if bar.receives else axis - bar.length
        amount = fen_to_yuan(bar.net_fen)
        label_x = axis + bar.length + 6 if bar.receives else axis - bar.length - 6
        rows.append(
            format_html(
                '<g class="net-row">'
                '<text class="net-name" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="bar {}" x="{}" y="{}" width="{}" height="{}" '
                'data-province="{}" data-net-fen="{}"><title>{}：{}净额 {} 元</title></rect>'
                '<text class="net-amount" x="{}" y="{}" text-anchor="{}">{}</text></g>',
                LABEL_WIDTH - 8,
                middle,
                bar.unit.short,
                "bar-receive" if bar.receives else "bar-pay",
                x,
                y,
                bar.length,
                BAR_HEIGHT,
                bar.unit.code,
                bar.net_fen,
                bar.unit.name,
                "应收" if bar.receives else "应付",
                amount,
                label_x,
                middle,
                "start" if bar.receives else "end",
                amount,
            )
        )
    return format_html(
        '<svg class="net-chart" id="net-chart" role="img" aria-labelledby="net-chart-title" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="net-chart-title">各省净额头寸（元）：{n}个省份</title>'
        '<text class="net-caption" x="{left}" y="16" text-anchor="end">← 应付（净付款）</text>'
        '<text class="net-caption" x="{right}" y="16">应收（净收款）→</text>'
        "{rows}"
        '<line class="net-axis" x1="{axis}" y1="{top}" x2="{axis}" y2="{bottom}"/></svg>',
        w=width,
        h=height,
        n=len(bars),
        left=axis - 8,
        right=axis + 8,
        rows=format_html_join("", "{}", ((row,) for row in rows)),
        axis=axis,
        top=TOP - 6,
        bottom=height - BOTTOM + 2,
    )
