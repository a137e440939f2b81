"""Clearing API (API.md "Clearing"): one class per operation; each parses, calls one service or
selector, and answers with PERIOD (or the statement / instruction / obligation it wrote).

Reads are scoped by `clearing.selectors`: the ministry and auditors see every province's rows, a
province's finance only the rows its province pays or receives. Exports are the same view as
bytes (`clearing.exports`), served as attachments."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from clearing import exports, selectors, services
from clearing.models import InstructionStatus, PeriodStatus, StatementStatus
from clearing.progress import ProgressState, progress_get
from common.fields import MonthField, RegionCodeField, TextField
from common.permissions import allowed
from common.scope import scope_for
from registry.selectors import region_children

MONEY_LIMIT = 10**13  # 1000亿元 in fen: far above any real adjustment, far below BigInteger


class ClearingControlSerializer(serializers.Serializer):
    """NACHA-style control record of the rows listed (a province's rows, or all of them)."""

    pair_count = serializers.IntegerField()
    obligation_count = serializers.IntegerField()
    amount_fen = serializers.IntegerField()
    checksum = TextField()


class ClearingPairSerializer(serializers.Serializer):
    payer = TextField(source="payer_id")
    payee = TextField(source="payee_id")
    count = serializers.IntegerField()
    individual_fen = serializers.IntegerField()
    pooled_fen = serializers.IntegerField()
    amount_fen = serializers.IntegerField()
    hash_total = TextField(help_text="校验总数（十进制字符串，可能超过 2^53）")


class ClearingPositionSerializer(serializers.Serializer):
    province = TextField(source="province_id")
    receivable_fen = serializers.IntegerField()
    payable_fen = serializers.IntegerField()
    net_fen = serializers.IntegerField(help_text="应收 − 应付：正数为净收款，负数为净付款")


class ClearingInstructionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="指令在本期列表中的位置（从0起，不会变动）")
    payer = TextField(source="payer_id")
    payee = TextField(source="payee_id")
    amount_fen = serializers.IntegerField()
    status = serializers.ChoiceField(choices=InstructionStatus.choices)
    status_label = TextField(source="get_status_display")
    bank_ref = TextField()
    paid_at = serializers.DateTimeField(allow_null=True)


class ClearingStatementSerializer(serializers.Serializer):
    province = TextField(source="province_id")
    status = serializers.ChoiceField(choices=StatementStatus.choices)
    status_label = TextField(source="get_status_display")
    note = TextField()
    acted_at = serializers.DateTimeField(allow_null=True)


class ClearingProgressSerializer(serializers.Serializer):
    """Where the batch of a period is (kept for an hour after it ends); `idle` when none ran."""

    state = serializers.ChoiceField(choices=ProgressState.choices)
    step = serializers.IntegerField(required=False)
    steps = serializers.IntegerField(required=False)
    stage = TextField(required=False)
    by = TextField(required=False)
    started_at = serializers.DateTimeField(required=False)
    message = TextField(required=False)


class ClearingPeriodSerializer(serializers.Serializer):
    """PERIOD of API.md, from a `selectors.PeriodView`. The period's own totals cover every
    province; `province` says whose rows are listed (null: all) and `control` totals those rows."""

    period = TextField(source="label")
    status = serializers.ChoiceField(choices=PeriodStatus.choices, source="period.status")
    status_label = TextField(source="period.get_status_display")
    obligation_count = serializers.IntegerField(source="period.obligation_count")
    individual_fen = serializers.IntegerField(source="period.individual_fen")
    pooled_fen = serializers.IntegerField(source="period.pooled_fen")
    gross_total_fen = serializers.IntegerField(source="period.gross_total_fen")
    hash_total = TextField(
        source="period.hash_total", help_text="校验总数（十进制字符串，可能超过 2^53）"
    )
    checksum = TextField(source="period.checksum")
    calculated_at = serializers.DateTimeField(source="period.calculated_at", allow_null=True)
    run_count = serializers.IntegerField(source="period.run_count")
    province = TextField(allow_null=True, help_text="所列为哪个省份的数据；null 为全部")
    control = ClearingControlSerializer()
    progress = ClearingProgressSerializer(allow_null=True)
    pairs = ClearingPairSerializer(many=True)
    positions = ClearingPositionSerializer(many=True)
    instructions = ClearingInstructionSerializer(many=True)
    statements = ClearingStatementSerializer(many=True)


class ClearingPeriodRowSerializer(serializers.Serializer):
    period = TextField(source="period.label")
    status = serializers.ChoiceField(choices=PeriodStatus.choices, source="period.status")
    status_label = TextField(source="period.get_status_display")
    obligation_count = serializers.IntegerField(source="period.obligation_count")
    gross_total_fen = serializers.IntegerField(source="period.gross_total_fen")
    checksum = TextField(source="period.checksum")
    calculated_at = serializers.DateTimeField(source="period.calculated_at", allow_null=True)
    run_count = serializers.IntegerField(source="period.run_count")
    own_statement = serializers.ChoiceField(
        choices=StatementStatus.choices,
        allow_null=True,
        help_text="本省对账单的状态（省级财务；无本省对账单或全国用户为 null）",
    )


class ClearingStatementActionSerializer(ClearingStatementSerializer):
    """The statement just written, with its period's status after the write (it becomes
    `confirmed` when this was the last statement to confirm)."""

    period = TextField(source="period.label")
    period_status = serializers.ChoiceField(choices=PeriodStatus.choices, source="period.status")


class ClearingInstructionActionSerializer(ClearingInstructionSerializer):
    """The instruction just marked paid, with its period's status after the write (`closed`
    when this was the last instruction to pay)."""

    period = TextField(source="period.label")
    period_status = serializers.ChoiceField(choices=PeriodStatus.choices, source="period.status")


class ProvinceFilterSerializer(serializers.Serializer):
    province = RegionCodeField(
        required=False, help_text="只列该省份（清算单位）的数据；省级财务总是只看本省"
    )

    def validate_province(self, value: str) -> str:
        if not region_children().filter(code=value).exists():
            raise serializers.ValidationError(
                f"“{value}”不是清算单位（省级代码或新疆生产建设兵团660000）。"
            )
        return value


def _view(request, month: date) -> selectors.PeriodView:
    """The period as the requesting user may see it (`?province=` narrows a national view)."""
    filters = ProvinceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return selectors.period_view(
        scope=scope_for(request.user), month=month, province=filters.validated_data.get("province")
    )


def period_response(view: selectors.PeriodView) -> Response:
    return Response(ClearingPeriodSerializer(view).data)


MONTH_PARAMETER = OpenApiParameter(
    "month",
    str,
    OpenApiParameter.PATH,
    description="清算期 YYYY-MM",
    pattern=r"^[0-9]{4}-[0-9]{2}$",
)
PROVINCE_PARAMETER = OpenApiParameter(
    "province", str, OpenApiParameter.PATH, description="省份代码（清算单位），如440000"
)


class PeriodListApi(APIView):
    """Every period, newest first (one a month, so a plain list), and last month's even before
    anything was recorded in it."""

    permission_classes = [allowed("clearing.view")]

    @extend_schema(responses=ClearingPeriodRowSerializer(many=True))
    def get(self, request):
        rows = selectors.period_list(scope=scope_for(request.user))
        return Response(ClearingPeriodRowSerializer(rows, many=True).data)


class PeriodDetailApi(APIView):
    permission_classes = [allowed("clearing.view")]

    @extend_schema(
        parameters=[MONTH_PARAMETER, ProvinceFilterSerializer], responses=ClearingPeriodSerializer
    )
    def get(self, request, month: date):
        return period_response(_view(request, month))


class PeriodRunApi(APIView):
    """清算计算 (ministry finance), synchronous: the answer is the period as calculated. 409 for
    the current or a future month and for a period past `calculated`."""

    permission_classes = [allowed("clearing.run")]

    @extend_schema(parameters=[MONTH_PARAMETER], request=None, responses=ClearingPeriodSerializer)
    def post(self, request, month: date):
        services.clearing_period_run(actor=request.user, month=month)
        return period_response(selectors.period_view(scope=scope_for(request.user), month=month))


class PeriodProgressApi(APIView):
    permission_classes = [allowed("clearing.view")]

    @extend_schema(parameters=[MONTH_PARAMETER], responses=ClearingProgressSerializer)
    def get(self, request, month: date):
        return Response(ClearingProgressSerializer(progress_get(month) or {"state": "idle"}).data)


class StatementConfirmApi(APIView):
    """确认对账单 (that province's finance, while the period is `calculated`)."""

    permission_classes = [allowed("clearing.statement")]

    @extend_schema(
        parameters=[MONTH_PARAMETER, PROVINCE_PARAMETER],
        request=None,
        responses=ClearingStatementActionSerializer,
    )
    def post(self, request, month: date, province: str):
        statement = services.statement_confirm(actor=request.user, month=month, province=province)
        return Response(ClearingStatementActionSerializer(statement).data)


class StatementDisputeApi(APIView):
    """对账单提出异议 (that province's finance, with a note): blocks `confirmed` until the
    ministry corrects and the batch runs again."""

    permission_classes = [allowed("clearing.statement")]

    class DisputeInputSerializer(serializers.Serializer):
        note = TextField(max_length=500)

    @extend_schema(
        parameters=[MONTH_PARAMETER, PROVINCE_PARAMETER],
        request=DisputeInputSerializer,
        responses=ClearingStatementActionSerializer,
    )
    def post(self, request, month: date, province: str):
        data = self.DisputeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_dispute(
            actor=request.user, month=month, province=province, **data.validated_data
        )
        return Response(ClearingStatementActionSerializer(statement).data)


class InstructionPaidApi(APIView):
    """登记付款 (the payer province's finance, once the period is `confirmed`)."""

    permission_classes = [allowed("clearing.pay")]

    class PaidInputSerializer(serializers.Serializer):
        bank_ref = TextField(max_length=64)

    @extend_schema(
        parameters=[
            MONTH_PARAMETER,
            OpenApiParameter("index", int, OpenApiParameter.PATH, description="指令序号（从0起）"),
        ],
        request=PaidInputSerializer,
        responses=ClearingInstructionActionSerializer,
    )
    def post(self, request, month: date, index: int):
        data = self.PaidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instruction = services.instruction_mark_paid(
            actor=request.user, month=month, index=index, **data.validated_data
        )
        return Response(ClearingInstructionActionSerializer(instruction).data)


class AdjustmentCreateApi(APIView):
    """调整 (the ministry): a correcting obligation, either sign, with its reason, into a period
    not yet confirmed (the current month by default). A calculated period goes back to open."""

    permission_classes = [allowed("clearing.adjust")]

    class AdjustmentInputSerializer(serializers.Serializer):
        payer = RegionCodeField()
        payee = RegionCodeField()
        individual_fen = serializers.IntegerField(min_value=-MONEY_LIMIT, max_value=MONEY_LIMIT)
        pooled_fen = serializers.IntegerField(min_value=-MONEY_LIMIT, max_value=MONEY_LIMIT)
        reason = TextField(max_length=500)
        period = MonthField(required=False)

    class AdjustmentOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        period = MonthField()
        payer = TextField(source="payer_id")
        payee = TextField(source="payee_id")
        individual_fen = serializers.IntegerField()
        pooled_fen = serializers.IntegerField()
        amount_fen = serializers.IntegerField()
        reason = TextField()
        created_by = TextField(source="created_by.username")
        created_at = serializers.DateTimeField()

    @extend_schema(request=AdjustmentInputSerializer, responses={201: AdjustmentOutputSerializer})
    def post(self, request):
        data = self.AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        obligation = services.obligation_adjust(
            actor=request.user, month=values.pop("period", None), **values
        )
        return Response(
            self.AdjustmentOutputSerializer(obligation).data, status=status.HTTP_201_CREATED
        )


class JsonErrorsNegotiation(BaseContentNegotiation):
    """An export answers with its file whatever the client accepts; errors (401/403/404) are
    JSON, never a 406 because the client asked for a spreadsheet."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def _attachment(content: bytes, content_type: str, view: selectors.PeriodView, ext: str):
    whose = f"-{view.province}" if view.province else ""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="clearing-{view.label}{whose}.{ext}"'
    return response


class PeriodExportXlsxApi(APIView):
    """The period as an Excel workbook: 汇总, 省际明细, 净额头寸, 结算指令, 对账单 (a province's
    finance always gets its own province's rows; `?province=` narrows a national view)."""

    permission_classes = [allowed("clearing.view")]
    content_negotiation_class = JsonErrorsNegotiation

    @extend_schema(
        operation_id="v1_clearing_periods_export_xlsx",
        parameters=[MONTH_PARAMETER, ProvinceFilterSerializer],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="clearing-YYYY-MM.xlsx")
        },
    )
    def get(self, request, month: date):
        view = _view(request, month)
        return _attachment(exports.period_workbook(view), XLSX, view, "xlsx")


class PeriodExportCsvApi(APIView):
    """The period as CSV (UTF-8 with BOM): pairs, positions, instructions, statements, then the
    control record `控制合计,<pair_count>,<obligation_count>,<amount_fen>,<checksum>`."""

    permission_classes = [allowed("clearing.view")]
    content_negotiation_class = JsonErrorsNegotiation

    @extend_schema(
        operation_id="v1_clearing_periods_export_csv",
        parameters=[MONTH_PARAMETER, ProvinceFilterSerializer],
        responses={
            (200, CSV): OpenApiResponse(OpenApiTypes.BINARY, description="clearing-YYYY-MM.csv")
        },
    )
    def get(self, request, month: date):
        view = _view(request, month)
        content = exports.period_csv(view).encode("utf-8")
        return _attachment(content, f"{CSV}; charset=utf-8", view, "csv")
