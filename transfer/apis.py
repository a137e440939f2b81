"""Transfer API (API.md "Transfers"): one class per operation; each parses, calls one service,
and answers with TRANSFER objects."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApplicationError, Conflict
from common.fields import MonthField, RegionCodeField, TextField
from common.masking import mask_id_number, mask_name
from common.pagination import Pagination, paginated_response
from common.permissions import allowed
from common.scope import scope_for
from registry.models import Scheme
from transfer import selectors, services
from transfer.funds import fund_rule
from transfer.materials import Upload
from transfer.models import Channel, IdempotencyKey, MaterialKind, RefuseCode, Status


class ReasonSerializer(serializers.Serializer):
    code = TextField()
    message = TextField()


class InfoSheetSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    months = serializers.IntegerField()
    pooled_months = serializers.IntegerField()
    individual_fen = serializers.IntegerField()
    pooled_fen = serializers.IntegerField()
    total_fen = serializers.IntegerField()
    duplicate_months = serializers.ListField(child=TextField())


class TimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = TextField()
    status = TextField()
    actor = TextField()
    office = TextField()
    note = TextField(allow_blank=True)


class LetterSerializer(serializers.Serializer):
    """联系函 (traditional model): its number, when and by which office it was issued."""

    letter_no = TextField()
    issued_at = serializers.DateTimeField()
    office = TextField(source="office.code")
    office_name = TextField(source="office.name")


class RemittanceSerializer(serializers.Serializer):
    """基金划转 (traditional model): the remitted amount and voucher; the receipt once confirmed."""

    amount_fen = serializers.IntegerField()
    voucher_no = TextField()
    remitted_at = serializers.DateTimeField()
    received_fen = serializers.IntegerField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)


class FundRuleSerializer(serializers.Serializer):
    """What moves for the leg's scheme pair (transfer.funds.FUND_RULES): a pooled part from
    `pooled_from` on (null: the individual account alone), and whether the months count in the
    incoming scheme."""

    pooled_from = MonthField(allow_null=True)
    months_merge = serializers.BooleanField()
    source = TextField()


class TransferSerializer(serializers.Serializer):
    """TRANSFER of API.md. `letter` and `remittance` come from `selectors.with_details` (null
    until issued / remitted, and always for a periodic leg)."""

    transfer_no = TextField()
    application_no = TextField(source="application.application_no")
    id_number = TextField(source="application.person.id_number")
    name = TextField(source="application.name")
    mode = TextField()
    mode_label = TextField(source="get_mode_display")
    out_scheme = TextField()
    out_region = TextField(source="out_region_id")
    out_province = TextField(source="out_province_id")
    in_scheme = TextField(source="application.in_scheme")
    in_region = TextField(source="application.in_region_id")
    in_province = TextField(source="in_province_id")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = TextField(source="get_status_display")
    reasons = ReasonSerializer(many=True)
    refuse_code = TextField(allow_blank=True)
    info_sheet = InfoSheetSerializer(source="current_sheet", allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    timeline = TimelineSerializer(many=True)
    letter = LetterSerializer(source="contact_letter", allow_null=True)
    remittance = RemittanceSerializer(source="current_remittance", allow_null=True)
    fund_rule = serializers.SerializerMethodField()

    @extend_schema_field(FundRuleSerializer)
    def get_fund_rule(self, leg) -> dict:
        return FundRuleSerializer(fund_rule(leg.out_scheme, leg.application.in_scheme)).data


class TransferListItemSerializer(TransferSerializer):
    """TRANSFER as a list shows it (DESIGN.md §3): the ID number and name masked; the full values
    are on `GET /api/v1/transfers/{transfer_no}/`."""

    def to_representation(self, leg) -> dict:
        data = super().to_representation(leg)
        data["id_number"] = mask_id_number(data["id_number"])
        data["name"] = mask_name(data["name"])
        return data


def transfer_response(leg, status_code=status.HTTP_200_OK) -> Response:
    leg = selectors.with_details([leg])[0] if not hasattr(leg, "timeline") else leg
    return Response(TransferSerializer(leg).data, status=status_code)


class OutSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    region = RegionCodeField()


class ApplicantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["self", "agent"])
    name = TextField(max_length=64, required=False, allow_blank=True)
    id_number = TextField(max_length=18, required=False, allow_blank=True)
    power_of_attorney = serializers.BooleanField(required=False, default=False)


class TransferApplicationCreateApi(APIView):
    permission_classes = [allowed("transfer.apply")]

    class TransferApplicationInputSerializer(serializers.Serializer):
        id_number = TextField(max_length=18)
        name = TextField(max_length=64)
        phone = serializers.RegexField(
            services.PHONE, error_messages={"invalid": "联系电话格式不正确。"}
        )
        hukou_address = TextField(max_length=200)
        in_scheme = serializers.ChoiceField(choices=Scheme.choices)
        in_region = RegionCodeField()
        outs = OutSerializer(many=True, allow_empty=False, max_length=services.MAX_OUTS)
        channel = serializers.ChoiceField(choices=Channel.choices)
        manual = serializers.BooleanField(required=False, default=False)
        applicant = ApplicantSerializer(required=False)

    class TransferApplicationOutputSerializer(serializers.Serializer):
        application_no = TextField()
        transfers = TransferSerializer(many=True)

    @extend_schema(
        request=TransferApplicationInputSerializer,
        responses={201: TransferApplicationOutputSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self._create(request)
        if len(key) > 128 or not key.isprintable():
            raise ApplicationError(
                "Idempotency-Key 应为不超过128个可打印字符。",
                fields={"Idempotency-Key": ["应为不超过128个可打印字符。"]},
            )
        body_hash = hashlib.sha256(
            json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, request_hash=body_hash
                )
                response = self._create(request)
                record.response_status, record.response_body = response.status_code, response.data
                record.save(update_fields=["response_status", "response_body"])
                return response
        except IntegrityError:
            # The same key was used before (or is being used right now: the insert above waited
            # for that transaction). Replay its answer; a different body is a client error.
            record = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if record is None or record.response_status is None:
                raise Conflict("相同的 Idempotency-Key 请求正在处理，请稍后重试。") from None
            if record.request_hash != body_hash:
                raise Conflict(
                    "该 Idempotency-Key 已用于另一份不同的申请。", code="IDEMPOTENCY_KEY_REUSED"
                ) from None
            return Response(record.response_body, status=record.response_status)

    def _create(self, request) -> Response:
        data = self.TransferApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        applicant = values.pop("applicant", None) or {"kind": "self"}
        application = services.application_submit(
            actor=request.user,
            outs=[services.Out(**o) for o in values.pop("outs")],
            applicant=services.Agent(
                name=applicant.get("name", ""),
                id_number=applicant.get("id_number", ""),
                power_of_attorney=applicant.get("power_of_attorney", False),
            )
            if applicant["kind"] == "agent"
            else None,
            **values,
        )
        legs = selectors.as_submitted(application.submitted_legs)
        body = {
            "application_no": application.application_no,
            "transfers": TransferSerializer(legs, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class MaterialUploadApi(APIView):
    """Materials of an application (multipart: `kind`, `file`), by its accepting office."""

    permission_classes = [allowed("transfer.apply")]
    parser_classes = [MultiPartParser]

    class MaterialInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=MaterialKind.choices)
        file = serializers.FileField(max_length=255)

    @extend_schema(
        request=MaterialInputSerializer,
        responses={201: inline_serializer("MaterialOut", {"id": serializers.IntegerField()})},
    )
    def post(self, request, application_no: str):
        data = self.MaterialInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        material = services.application_add_material(
            actor=request.user,
            application_no=application_no,
            upload=Upload(
                kind=data.validated_data["kind"],
                name=upload.name,
                content=upload.read(services.MAX_UPLOAD_READ),
            ),
        )
        return Response({"id": material.pk}, status=status.HTTP_201_CREATED)


class TransferDetailApi(APIView):
    permission_classes = [allowed("transfer.view")]

    @extend_schema(responses=TransferSerializer)
    def get(self, request, transfer_no: str):
        leg = selectors.leg_get(scope=scope_for(request.user), transfer_no=transfer_no)
        return transfer_response(leg)


class TransferListApi(APIView):
    permission_classes = [allowed("transfer.view")]
    pagination_class = Pagination  # the schema documents the answer as a page

    class TransferFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Status.choices, required=False)
        province = RegionCodeField(required=False)
        overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
        q = TextField(required=False, max_length=44)

    @extend_schema(
        parameters=[TransferFilterSerializer, OpenApiParameter("page", int)],
        responses=TransferListItemSerializer(many=True),
    )
    def get(self, request):
        filters = self.TransferFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        legs = selectors.leg_list(scope=scope_for(request.user), **filters.validated_data)
        return paginated_response(
            serializer_class=TransferListItemSerializer,
            queryset=legs,
            request=request,
            view=self,
            prepare=selectors.with_details,
        )


class ProgressApi(APIView):
    permission_classes = [allowed("transfer.view")]

    @extend_schema(
        parameters=[OpenApiParameter("id_number", str, required=True)],
        responses=inline_serializer("Progress", {"transfers": TransferSerializer(many=True)}),
    )
    def get(self, request):
        id_number = request.query_params.get("id_number", "")
        try:
            legs = selectors.progress(scope=scope_for(request.user), id_number=id_number)
        except ValidationError as bad:
            message = bad.messages[0]
            raise ApplicationError(message, fields={"id_number": [message]}) from None
        return Response({"transfers": TransferSerializer(legs, many=True).data})


class NoteSerializer(serializers.Serializer):
    note = TextField(max_length=500, required=False, allow_blank=True, default="")


class RefuseSerializer(NoteSerializer):
    code = serializers.ChoiceField(choices=RefuseCode.choices)


class RemitSerializer(serializers.Serializer):
    # The amount must equal the sheet's total (else the service's AMOUNT_MISMATCH names both
    # figures); a blank voucher reaches the service, which says what to fill in.
    amount_fen = serializers.IntegerField(min_value=0)
    voucher_no = TextField(max_length=64, allow_blank=True)


class ReceiveSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField(min_value=0)


class _ActionApi(APIView):
    """POST /api/v1/transfers/{transfer_no}/<action>/ → TRANSFER."""

    input_serializer: type[serializers.Serializer] | None = None

    def post(self, request, transfer_no: str):
        values = {}
        if self.input_serializer is not None:
            data = self.input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        result = self.perform(request.user, transfer_no, **values)
        return transfer_response(getattr(result, "leg", result))


def _action(name: str, action: str, service, serializer=None) -> type[_ActionApi]:
    def perform(self, user, transfer_no, **values):
        return service(actor=user, transfer_no=transfer_no, **values)

    api = type(
        name,
        (_ActionApi,),
        {
            "permission_classes": [allowed(action)],
            "input_serializer": serializer,
            "perform": perform,
            "__doc__": service.__doc__,
        },
    )
    return extend_schema(request=serializer, responses=TransferSerializer)(api)


TransferRecheckApi = _action("TransferRecheckApi", "transfer.recheck", services.leg_recheck)
TransferInfoSheetApi = _action(
    "TransferInfoSheetApi", "transfer.outgoing", services.leg_upload_info_sheet, NoteSerializer
)
TransferIssueLetterApi = _action(
    "TransferIssueLetterApi", "transfer.incoming", services.leg_issue_letter
)
TransferRejectApi = _action(
    "TransferRejectApi", "transfer.incoming", services.leg_reject, NoteSerializer
)
TransferRefuseApi = _action(
    "TransferRefuseApi", "transfer.outgoing", services.leg_refuse, RefuseSerializer
)
TransferConfirmApi = _action("TransferConfirmApi", "transfer.incoming", services.leg_confirm)
TransferReturnApi = _action(
    "TransferReturnApi", "transfer.incoming", services.leg_return, NoteSerializer
)
TransferRemitApi = _action(
    "TransferRemitApi", "transfer.remit", services.leg_remit, RemitSerializer
)
TransferReceiveApi = _action(
    "TransferReceiveApi", "transfer.receive", services.leg_receive, ReceiveSerializer
)
TransferWithdrawApi = _action(
    "TransferWithdrawApi", "transfer.withdraw", services.leg_withdraw, NoteSerializer
)
