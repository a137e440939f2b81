"""Whitelist API (API.md "Whitelist", DESIGN.md §7): the retirement pre-check and 白名单维护, one
class per operation; each parses, calls one service or selector, and answers.

An entry is shown with the person's ID number and name masked. Writes are refused (503, with the
notice) while the `whitelist` module is suspended; the pre-check and reads still work. Opening an
entry's evidence document is allowed by scope and recorded in the audit log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApplicationError, NotFound
from common.fields import RegionCodeField, TextField
from common.files import document_response
from common.masking import mask_id_number, mask_name
from common.pagination import Pagination, paginated_response
from common.permissions import allowed
from common.scope import scope_for
from registry.models import AccountStatus, Person, Scheme
from registry.services import region_get
from registry.validators import validate_id_number
from transfer.materials import MAX_BYTES
from transfer.models import Channel
from transfer.models import Status as TransferStatus
from whitelist import selectors, services
from whitelist.models import EntryStatus, Reason, WhitelistEntry

FINDING_KINDS = [
    ("untransferred", "存在未转移的参保关系"),
    ("closed", "参保关系已终止但仍有未清退的缴费记录"),
    ("open_transfer", "有在途的转移业务"),
    ("refused_no_records", "外省已以无可转移的缴费记录不予转出"),
]


def _id_number(value: str) -> str:
    try:
        return validate_id_number(value)
    except ValidationError as bad:
        message = bad.messages[0]
        raise ApplicationError(message, fields={"id_number": [message]}) from None


# --- the pre-check ------------------------------------------------------------------------------


class OpenTransferSerializer(serializers.Serializer):
    """The transfer leg out of the account that is still in progress."""

    transfer_no = TextField()
    status = serializers.ChoiceField(choices=TransferStatus.choices)
    status_label = TextField(source="get_status_display")


class RefusedTransferSerializer(serializers.Serializer):
    """The leg the outgoing province refused for having no records to transfer."""

    transfer_no = TextField()


class FindingSerializer(serializers.Serializer):
    """One other-province account the pre-check finds (a `selectors.Finding`)."""

    region = TextField(source="account.region_id")
    region_name = TextField(source="account.region.name")
    province = TextField(source="account.province_id")
    province_name = TextField()
    scheme = serializers.ChoiceField(choices=Scheme.choices, source="account.scheme")
    account_status = serializers.ChoiceField(choices=AccountStatus.choices, source="account.status")
    account_status_label = TextField(source="account.get_status_display")
    paid_months = serializers.IntegerField(help_text="未清退的缴费月数")
    kind = serializers.ChoiceField(choices=FINDING_KINDS)
    guidance = TextField(help_text="办理指引")
    whitelisted = serializers.BooleanField(help_text="已有生效的白名单，不再影响预校验")
    open_transfer = OpenTransferSerializer(source="open_leg", allow_null=True)
    refused_transfer = RefusedTransferSerializer(source="refused_leg", allow_null=True)
    entry_no = TextField(source="entry.entry_no", allow_null=True, help_text="生效的白名单编号")
    pending_entry_no = TextField(
        source="pending.entry_no", allow_null=True, help_text="待审核的白名单编号"
    )


class PrecheckSerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text="没有未列入白名单的外省缴费记录")
    id_number = serializers.SerializerMethodField(help_text="社会保障号码（脱敏）")
    name = serializers.SerializerMethodField(help_text="姓名（脱敏）")
    benefit_province = TextField(source="benefit_province.code")
    benefit_province_name = TextField(source="benefit_province.name")
    findings = FindingSerializer(many=True)

    def get_id_number(self, result: selectors.Precheck) -> str:
        return mask_id_number(result.person.id_number)

    def get_name(self, result: selectors.Precheck) -> str:
        return mask_name(result.person.name)


class RetirementPrecheckApi(APIView):
    """退休一件事 账户预校验: the person's accounts outside the benefit province that still hold
    paid, uncleared months (查询存在外省市缴费记录), each with what to do about it."""

    permission_classes = [allowed("whitelist.precheck")]

    class PrecheckInputSerializer(serializers.Serializer):
        id_number = TextField(max_length=18)
        benefit_region = RegionCodeField(help_text="待遇领取地区划代码（或其省级代码）")

    @extend_schema(request=PrecheckInputSerializer, responses=PrecheckSerializer)
    def post(self, request):
        data = self.PrecheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        id_number = _id_number(data.validated_data["id_number"])
        benefit_region = region_get(data.validated_data["benefit_region"], field="benefit_region")
        scope_for(request.user).require("whitelist.precheck", [benefit_region.code])
        person = Person.objects.filter(id_number=id_number).first()
        if person is None:
            raise NotFound("未找到该社会保障号码对应的参保人员。")
        result = selectors.precheck(person=person, benefit_province=benefit_region.code)
        return Response(PrecheckSerializer(result).data)


# --- entries ------------------------------------------------------------------------------------


class EntryTimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = TextField()
    label = TextField()
    status = TextField()
    actor = TextField()
    office = TextField()
    note = TextField(allow_blank=True)


class WhitelistEntrySerializer(serializers.Serializer):
    """ENTRY: the excluded account, the reason and its evidence, who made and checked it."""

    entry_no = TextField()
    status = serializers.ChoiceField(choices=EntryStatus.choices)
    status_label = TextField(source="get_status_display")
    id_number = serializers.SerializerMethodField(help_text="社会保障号码（脱敏）")
    name = serializers.SerializerMethodField(help_text="姓名（脱敏）")
    region = TextField(source="account.region_id", help_text="外省参保地")
    region_name = TextField(source="account.region.name")
    province = TextField(source="account.province_id")
    province_name = TextField(source="account.province.name")
    scheme = serializers.ChoiceField(choices=Scheme.choices, source="account.scheme")
    benefit_province = TextField(source="benefit_province_id")
    benefit_province_name = TextField(source="benefit_province.name")
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_label = TextField(source="get_reason_display")
    evidence = TextField(help_text="证明材料及其出具机构")
    evidence_name = TextField(allow_blank=True, help_text="证明材料的原文件名")
    evidence_content_type = TextField()
    evidence_url = serializers.SerializerMethodField(help_text="下载证明材料（记入审计日志）")
    transfer_no = TextField(
        source="refused_leg.transfer_no",
        allow_null=True,
        help_text="外省拒绝转出的转移编号（仅原因为外省拒绝转出时）",
    )
    channel = TextField()
    office = TextField(source="office.code")
    office_name = TextField(source="office.name")
    maker = TextField(source="maker.username")
    checker = TextField(source="checker.username", allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    note = TextField(allow_blank=True, help_text="审核不通过或撤销的原因")
    created_at = serializers.DateTimeField()
    timeline = EntryTimelineSerializer(many=True)

    def get_id_number(self, entry: WhitelistEntry) -> str:
        return mask_id_number(entry.person.id_number)

    def get_name(self, entry: WhitelistEntry) -> str:
        return mask_name(entry.person.name)

    def get_evidence_url(self, entry: WhitelistEntry) -> str:
        return reverse("api:whitelist-evidence", kwargs={"entry_no": entry.entry_no})


def entry_response(request, entry_no: str, status_code=status.HTTP_200_OK) -> Response:
    """ENTRY as the requesting user sees it (after a write: as the write left it)."""
    entry = selectors.entry_get(scope=scope_for(request.user), entry_no=entry_no)
    return Response(
        WhitelistEntrySerializer(selectors.with_timelines([entry])[0]).data, status=status_code
    )


ENTRY_NO_PARAMETER = OpenApiParameter(
    "entry_no", str, OpenApiParameter.PATH, description="白名单编号，如BM110000-20261205-00001"
)


class WhitelistCollectionApi(APIView):
    """/whitelist/: the list (GET) and 白名单维护 (POST) share the path; each method is one
    operation with its own permission and schema."""

    parser_classes = [MultiPartParser, JSONParser]
    pagination_class = Pagination  # for the schema: the list is documented as a page

    class WhitelistFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=EntryStatus.choices, required=False)
        id_number = TextField(max_length=18, required=False)

    class WhitelistMakeInputSerializer(serializers.Serializer):
        id_number = TextField(max_length=18)
        region = RegionCodeField(help_text="外省参保地区划代码（或其省级代码）")
        scheme = serializers.ChoiceField(choices=Scheme.choices)
        # A plain string: whatever is sent reaches the service, which answers a refused reason
        # (个人放弃转移 above all) with the rule itself, not a generic "invalid choice".
        reason = TextField(
            max_length=32,
            help_text="CLEARED（已清算）、TRANSFERRED（已转移）或 OUT_REFUSED_NO_RECORDS"
            "（外省拒绝转出：无需要转移的缴费记录）；不得以“个人放弃转移”为由",
        )
        evidence = TextField(
            max_length=2000, allow_blank=True, help_text="证明材料及其出具机构（不超过500字）"
        )
        transfer_no = TextField(
            max_length=40,
            required=False,
            allow_blank=True,
            default="",
            help_text="外省拒绝转出的转移编号（原因为 OUT_REFUSED_NO_RECORDS 时必填）",
        )
        channel = serializers.ChoiceField(choices=Channel.choices, help_text="仅限 window")
        evidence_file = serializers.FileField(
            max_length=255,
            required=False,
            help_text="证明材料扫描件（PDF、JPEG或PNG，不超过10MB；multipart 请求）",
        )

    def get_permissions(self):
        action = "whitelist.make" if self.request.method == "POST" else "whitelist.view"
        return [allowed(action)()]

    @extend_schema(
        description="Entries of the user's benefit province (national offices: all), newest "
        "first, paginated.",
        parameters=[WhitelistFilterSerializer],
        responses=WhitelistEntrySerializer(many=True),
    )
    def get(self, request):
        filters = self.WhitelistFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        entries = selectors.entry_list(scope=scope_for(request.user), **filters.validated_data)
        return paginated_response(
            serializer_class=WhitelistEntrySerializer,
            queryset=entries,
            request=request,
            view=self,
            prepare=selectors.with_timelines,
        )

    @extend_schema(
        description="白名单维护 (an admin of the benefit province, at the window): one "
        "other-province account the pre-check finds is left out of it, for an accepted reason, "
        "with the evidence document. It counts once a supervisor other than the maker approves "
        "it. 不得以“个人放弃转移”为由受理.",
        request=WhitelistMakeInputSerializer,
        responses={201: WhitelistEntrySerializer},
    )
    def post(self, request):
        data = self.WhitelistMakeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload = values.pop("evidence_file", None)
        entry = services.entry_make(
            actor=request.user,
            evidence_file=services.Evidence(name=upload.name, content=upload.read(MAX_BYTES + 1))
            if upload is not None
            else None,
            **values,
        )
        return entry_response(request, entry.entry_no, status.HTTP_201_CREATED)


class WhitelistDetailApi(APIView):
    permission_classes = [allowed("whitelist.view")]

    @extend_schema(parameters=[ENTRY_NO_PARAMETER], responses=WhitelistEntrySerializer)
    def get(self, request, entry_no: str):
        return entry_response(request, entry_no)


class FirstRenderer(BaseContentNegotiation):
    """A download answers with the file whatever the client accepts (a client asking for
    `application/pdf` is not refused with 406); errors still leave as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class WhitelistEvidenceApi(APIView):
    """The evidence document itself, for whoever may see the entry; each opening is audited."""

    permission_classes = [allowed("whitelist.view")]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        parameters=[ENTRY_NO_PARAMETER],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, entry_no: str):
        entry, document = services.entry_evidence_open(actor=request.user, entry_no=entry_no)
        return document_response(
            document, content_type=entry.evidence_content_type, name=f"证明材料-{entry.entry_no}"
        )


class WhitelistApproveApi(APIView):
    """审核通过 (a supervisor of the benefit province other than the maker): the entry counts."""

    permission_classes = [allowed("whitelist.check")]

    @extend_schema(
        parameters=[ENTRY_NO_PARAMETER], request=None, responses=WhitelistEntrySerializer
    )
    def post(self, request, entry_no: str):
        services.entry_approve(actor=request.user, entry_no=entry_no)
        return entry_response(request, entry_no)


class WhitelistRejectApi(APIView):
    """审核不通过, with the reason (a supervisor of the benefit province other than the maker)."""

    permission_classes = [allowed("whitelist.check")]

    class WhitelistRejectInputSerializer(serializers.Serializer):
        note = TextField(max_length=500, allow_blank=True)

    @extend_schema(
        parameters=[ENTRY_NO_PARAMETER],
        request=WhitelistRejectInputSerializer,
        responses=WhitelistEntrySerializer,
    )
    def post(self, request, entry_no: str):
        data = self.WhitelistRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.entry_reject(actor=request.user, entry_no=entry_no, **data.validated_data)
        return entry_response(request, entry_no)


class WhitelistRevokeApi(APIView):
    """撤销, with the reason (an admin or supervisor of the benefit province): the account is a
    finding of the pre-check again."""

    permission_classes = [allowed("whitelist.revoke")]

    class WhitelistRevokeInputSerializer(serializers.Serializer):
        reason = TextField(max_length=500, allow_blank=True)

    @extend_schema(
        parameters=[ENTRY_NO_PARAMETER],
        request=WhitelistRevokeInputSerializer,
        responses=WhitelistEntrySerializer,
    )
    def post(self, request, entry_no: str):
        data = self.WhitelistRevokeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.entry_revoke(actor=request.user, entry_no=entry_no, **data.validated_data)
        return entry_response(request, entry_no)
