"""A period as a file: the Excel workbook and the CSV that finance downloads (DESIGN.md §5).

Both are built from one `selectors.PeriodView`, so a province's file lists exactly the rows its
API answer lists. Money is written as integer fen and, beside it, as 元 computed exactly from the
fen (Decimal, never float); every file ends with the control totals of what it lists (pair count,
obligation count, amount, checksum), NACHA-style, so a receiver can check it is complete."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from clearing.selectors import PeriodView
from registry.selectors import region_children

YUAN_FORMAT = "#,##0.00"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CONTROL_LABEL = "控制合计"
# A spreadsheet runs text starting with these as a formula; user-typed text (notes, bank
# references) is written so that it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def yuan(fen: int) -> Decimal:
    """Exact 元 of a fen amount: 620000 → Decimal('6200.00')."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _local(moment: datetime | None) -> datetime | None:
    """Asia/Shanghai wall time without tzinfo (a spreadsheet cell has no time zone)."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _time_text(moment: datetime | None) -> str:
    return f"{_local(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def _names() -> dict[str, str]:
    return dict(region_children().values_list("code", "name"))


def _whose(view: PeriodView, names: dict[str, str]) -> str:
    if view.province is None:
        return "全部省份"
    return f"{view.province} {names.get(view.province, '')}".strip()


# --- Excel -------------------------------------------------------------------------------------


class _Sheet:
    """Rows appended to one worksheet: bold header, frozen below it, 元 and time cells
    formatted, user text kept as text."""

    def __init__(self, workbook: Workbook, title: str, header: list[str], *, first: bool = False):
        self.ws = workbook.active if first else workbook.create_sheet()
        self.ws.title = title
        self.widths = [len(h.encode("gbk")) + 2 for h in header]
        self.append(header, bold=True)
        self.ws.freeze_panes = "A2"

    def append(self, values: Iterable, *, bold: bool = False, text: Iterable[int] = ()) -> None:
        values = list(values)
        self.ws.append(values)
        row = self.ws.max_row
        for column, value in enumerate(values, start=1):
            cell = self.ws.cell(row=row, column=column)
            if isinstance(value, Decimal):
                cell.number_format = YUAN_FORMAT
            elif isinstance(value, datetime):
                cell.number_format = TIME_FORMAT
            elif isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            if bold:
                cell.font = Font(bold=True)
            shown = len(str(value).encode("gbk", "replace")) + 2 if value is not None else 0
            if column > len(self.widths):
                self.widths.append(shown)
            self.widths[column - 1] = min(max(self.widths[column - 1], shown), 70)

    def finish(self) -> None:
        for column, width in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(column)].width = width


def _summary(workbook: Workbook, view: PeriodView, names: dict[str, str]) -> _Sheet:
    period, control = view.period, view.control
    sheet = _Sheet(workbook, "汇总", ["项目", "数值", "金额（元）"], first=True)
    rows: list[list] = [
        ["清算期", view.label, None],
        ["状态", period.get_status_display(), None],
        ["数据范围", _whose(view, names), None],
        ["债务笔数", period.obligation_count, None],
        ["个人账户合计（分）", period.individual_fen, yuan(period.individual_fen)],
        ["统筹基金合计（分）", period.pooled_fen, yuan(period.pooled_fen)],
        ["总额（分）", period.gross_total_fen, yuan(period.gross_total_fen)],
        ["校验总数", str(period.hash_total), None],
        ["校验和", period.checksum, None],
        ["计算时间", _local(period.calculated_at), None],
        ["计算次数", period.run_count, None],
        [None, None, None],
        [f"{CONTROL_LABEL}：省际汇总条数", control.pair_count, None],
        [f"{CONTROL_LABEL}：债务笔数", control.obligation_count, None],
        [f"{CONTROL_LABEL}：金额（分）", control.amount_fen, yuan(control.amount_fen)],
        [f"{CONTROL_LABEL}：校验和", control.checksum, None],
    ]
    for row in rows:
        sheet.append(row, bold=row[0] is not None and row[0].startswith(CONTROL_LABEL))
    return sheet


def _pairs(workbook: Workbook, view: PeriodView, names: dict[str, str]) -> _Sheet:
    sheet = _Sheet(
        workbook,
        "省际明细",
        [
            "付款省份代码",
            "付款省份",
            "收款省份代码",
            "收款省份",
            "笔数",
            "个人账户（分）",
            "统筹基金（分）",
            "金额（分）",
            "个人账户（元）",
            "统筹基金（元）",
            "金额（元）",
            "校验总数",
        ],
    )
    for p in view.pairs:
        sheet.append(
            [
                p.payer_id,
                names.get(p.payer_id, ""),
                p.payee_id,
                names.get(p.payee_id, ""),
                p.count,
                p.individual_fen,
                p.pooled_fen,
                p.amount_fen,
                yuan(p.individual_fen),
                yuan(p.pooled_fen),
                yuan(p.amount_fen),
                str(p.hash_total),
            ]
        )
    individual = sum(p.individual_fen for p in view.pairs)
    pooled = sum(p.pooled_fen for p in view.pairs)
    amount = sum(p.amount_fen for p in view.pairs)
    sheet.append(
        [
            "合计",
            f"{len(view.pairs)}条",
            None,
            None,
            sum(p.count for p in view.pairs),
            individual,
            pooled,
            amount,
            yuan(individual),
            yuan(pooled),
            yuan(amount),
            None,
        ],
        bold=True,
    )
    return sheet


def _positions(workbook: Workbook, view: PeriodView, names: dict[str, str]) -> _Sheet:
    sheet = _Sheet(
        workbook,
        "净额头寸",
        [
            "省份代码",
            "省份",
            "应收（分）",
            "应付（分）",
            "净额（分）",
            "应收（元）",
            "应付（元）",
            "净额（元）",
        ],
    )
    for p in view.positions:
        sheet.append(
            [
                p.province_id,
                names.get(p.province_id, ""),
                p.receivable_fen,
                p.payable_fen,
                p.net_fen,
                yuan(p.receivable_fen),
                yuan(p.payable_fen),
                yuan(p.net_fen),
            ]
        )
    return sheet


def _instructions(workbook: Workbook, view: PeriodView, names: dict[str, str]) -> _Sheet:
    sheet = _Sheet(
        workbook,
        "结算指令",
        [
            "指令序号",
            "付款省份代码",
            "付款省份",
            "收款省份代码",
            "收款省份",
            "金额（分）",
            "金额（元）",
            "状态",
            "银行流水号",
            "付款登记时间",
        ],
    )
    for i in view.instructions:
        sheet.append(
            [
                i.index,
                i.payer_id,
                names.get(i.payer_id, ""),
                i.payee_id,
                names.get(i.payee_id, ""),
                i.amount_fen,
                yuan(i.amount_fen),
                i.get_status_display(),
                i.bank_ref,
                _local(i.paid_at),
            ]
        )
    amount = sum(i.amount_fen for i in view.instructions)
    sheet.append(
        ["合计", f"{len(view.instructions)}条", None, None, None, amount, yuan(amount)],
        bold=True,
    )
    return sheet


def _statements(workbook: Workbook, view: PeriodView, names: dict[str, str]) -> _Sheet:
    control = view.control
    sheet = _Sheet(workbook, "对账单", ["省份代码", "省份", "状态", "说明", "办理时间"])
    for s in view.statements:
        sheet.append(
            [
                s.province_id,
                names.get(s.province_id, ""),
                s.get_status_display(),
                s.note,
                _local(s.acted_at),
            ]
        )
    sheet.append([])
    sheet.append(["", "省际汇总条数", "债务笔数", "金额（分）", "校验和"], bold=True)
    sheet.append(
        [
            CONTROL_LABEL,
            control.pair_count,
            control.obligation_count,
            control.amount_fen,
            control.checksum,
        ],
        bold=True,
    )
    return sheet


def period_workbook(view: PeriodView) -> bytes:
    """The .xlsx of a period view: sheets 汇总, 省际明细 (with a 合计 row), 净额头寸, 结算指令,
    对账单 (ending with the control record)."""
    names = _names()
    workbook = Workbook()
    sheets = [
        build(workbook, view, names)
        for build in (_summary, _pairs, _positions, _instructions, _statements)
    ]
    for sheet in sheets:
        sheet.finish()
    workbook.properties.title = f"养老保险关系转移清算 {view.label}"
    workbook.properties.creator = "pension-transfer"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# --- CSV ---------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """User-typed text for a CSV cell: a leading formula character is neutralised with a quote
    (OWASP's advice for CSV injection)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def period_csv(view: PeriodView) -> str:
    """The CSV of a period view, UTF-8 with a BOM (so Excel reads the Chinese): a header block,
    then sections 省际明细, 净额头寸, 结算指令, 对账单, then the control record line
    `控制合计,<pair_count>,<obligation_count>,<amount_fen>,<checksum>`."""
    names = _names()
    period, control = view.period, view.control
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerows(
        [
            ["清算期", view.label],
            ["状态", period.get_status_display()],
            ["数据范围", _whose(view, names)],
            ["债务笔数", period.obligation_count],
            ["总额（分）", period.gross_total_fen, "总额（元）", yuan(period.gross_total_fen)],
            ["校验总数", period.hash_total],
            ["校验和", period.checksum],
            ["计算时间", _time_text(period.calculated_at)],
            [],
            ["省际明细"],
            [
                "付款省份",
                "收款省份",
                "笔数",
                "个人账户（分）",
                "统筹基金（分）",
                "金额（分）",
                "金额（元）",
            ],
        ]
    )
    for p in view.pairs:
        w.writerow(
            [
                p.payer_id,
                p.payee_id,
                p.count,
                p.individual_fen,
                p.pooled_fen,
                p.amount_fen,
                yuan(p.amount_fen),
            ]
        )
    w.writerows(
        [
            [],
            ["净额头寸"],
            ["省份", "应收（分）", "应付（分）", "净额（分）", "净额（元）"],
            *(
                [p.province_id, p.receivable_fen, p.payable_fen, p.net_fen, yuan(p.net_fen)]
                for p in view.positions
            ),
            [],
            ["结算指令"],
            [
                "指令序号",
                "付款省份",
                "收款省份",
                "金额（分）",
                "金额（元）",
                "状态",
                "银行流水号",
                "付款登记时间",
            ],
            *(
                [
                    i.index,
                    i.payer_id,
                    i.payee_id,
                    i.amount_fen,
                    yuan(i.amount_fen),
                    i.get_status_display(),
                    _text(i.bank_ref),
                    _time_text(i.paid_at),
                ]
                for i in view.instructions
            ),
            [],
            ["对账单"],
            ["省份", "状态", "说明", "办理时间"],
            *(
                [s.province_id, s.get_status_display(), _text(s.note), _time_text(s.acted_at)]
                for s in view.statements
            ),
            [],
            [
                CONTROL_LABEL,
                control.pair_count,
                control.obligation_count,
                control.amount_fen,
                control.checksum,
            ],
        ]
    )
    return out.getvalue()
