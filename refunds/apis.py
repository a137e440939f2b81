"""Refunds API (API.md "Refunds"): one class per operation; each parses, calls one service or
selector, and answers with REFUND (or a person's duplicate months).

A refund is shown with the person's ID number and name masked, and the bank account number
masked but for its last four digits. Writes are refused (503, with the notice) while the
`refunds` module is suspended; reads still work."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApplicationError
from common.fields import MonthField, RegionCodeField, TextField
from common.masking import mask_account_no, mask_id_number, mask_name
from common.pagination import Pagination, paginated_response
from common.permissions import allowed
from common.scope import scope_for
from refunds import selectors, services
from refunds.models import Refund, RefundStatus
from registry.models import Identity, Scheme
from registry.selectors import person_get
from registry.validators import validate_id_number
from transfer.models import Channel

MAX_MONTHS = 600  # fifty years of months: far above any real application


# --- output -------------------------------------------------------------------------------------


class RefundDuplicateEntrySerializer(serializers.Serializer):
    """One payment of a month paid twice (a `selectors.Entry`)."""

    region = TextField()
    province = TextField()
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    identity = serializers.ChoiceField(choices=Identity.choices)
    base_fen = serializers.IntegerField()
    refund_no = TextField(
        allow_blank=True, help_text="已在办理（或已退费）的退费编号；空串为尚未申请退费"
    )


class RefundDuplicateMonthSerializer(serializers.Serializer):
    month = MonthField()
    entries = RefundDuplicateEntrySerializer(many=True)


class RefundDuplicatesSerializer(serializers.Serializer):
    """The months a person paid more than once and are not cleared yet, in order."""

    months = RefundDuplicateMonthSerializer(many=True)


class RefundIdentitySerializer(serializers.Serializer):
    """A period's identity as declared in the application (step 1)."""

    region = TextField()
    start = TextField(help_text="YYYY-MM")
    end = TextField(help_text="YYYY-MM")
    identity = serializers.ChoiceField(choices=Identity.choices)


class RefundMonthSerializer(serializers.Serializer):
    month = MonthField()
    identity = serializers.ChoiceField(choices=Identity.choices)
    identity_label = TextField(source="get_identity_display")
    base_fen = serializers.IntegerField()
    rate = serializers.DecimalField(
        max_digits=4,
        decimal_places=3,
        help_text="退费比例（十进制字符串）：灵活就业0.200，职工0.080",
    )
    amount_fen_exact = serializers.DecimalField(
        source="amount",
        max_digits=16,
        decimal_places=3,
        help_text="该月退费金额（分，十进制字符串，未舍入）；合计后只舍入一次",
    )


class RefundBankSerializer(serializers.Serializer):
    bank_name = TextField()
    account_no = serializers.SerializerMethodField(help_text="银行账号，只显示后四位")
    holder_name = serializers.SerializerMethodField(help_text="户名（脱敏；须为参保人本人）")

    def get_account_no(self, refund: Refund) -> str:
        return mask_account_no(refund.account_no)

    def get_holder_name(self, refund: Refund) -> str:
        return mask_name(refund.holder_name)


class RefundSerializer(serializers.Serializer):
    """REFUND of API.md (its months prefetched in order: see `selectors.with_months`)."""

    refund_no = TextField()
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    status_label = TextField(source="get_status_display")
    id_number = serializers.SerializerMethodField(help_text="社会保障号码（脱敏）")
    name = serializers.SerializerMethodField(help_text="姓名（脱敏）")
    refund_region = TextField(source="account.region_id", help_text="退费参保地")
    refund_region_name = TextField(source="account.region.name")
    province = TextField(source="province_id", help_text="退费省份")
    scheme = serializers.ChoiceField(choices=Scheme.choices, source="account.scheme")
    channel = serializers.ChoiceField(choices=Channel.choices)
    accepting_office = TextField(source="accepting_office.code")
    accepting_office_name = TextField(source="accepting_office.name")
    identities = RefundIdentitySerializer(many=True)
    months = RefundMonthSerializer(many=True)
    amount_fen = serializers.IntegerField(help_text="退费金额（分）")
    credited_fen = serializers.IntegerField(help_text="支付时冲减个人账户的金额（分）")
    bank = RefundBankSerializer(source="*")
    note = TextField(allow_blank=True, help_text="审批不通过的原因")
    voucher_no = TextField(allow_blank=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_id_number(self, refund: Refund) -> str:
        return mask_id_number(refund.person.id_number)

    def get_name(self, refund: Refund) -> str:
        return mask_name(refund.person.name)


def refund_response(request, refund_no: str, status_code=status.HTTP_200_OK) -> Response:
    """REFUND as the requesting user sees it (after a write: as the write left it)."""
    refund = selectors.refund_get(scope=scope_for(request.user), refund_no=refund_no)
    return Response(RefundSerializer(selectors.with_months([refund])[0]).data, status=status_code)


REFUND_NO_PARAMETER = OpenApiParameter(
    "refund_no", str, OpenApiParameter.PATH, description="退费编号，如TF110000-20261205-00001"
)


# --- duplicates ---------------------------------------------------------------------------------


class PersonDuplicatesApi(APIView):
    """A person's months paid twice (in two accounts, or under two identities in one), not
    cleared yet; each payment says which refund holds it, if any. Seen by whoever may see the
    person."""

    permission_classes = [allowed("person.view")]

    @extend_schema(
        parameters=[
            OpenApiParameter("id_number", str, OpenApiParameter.PATH, description="社会保障号码")
        ],
        responses=RefundDuplicatesSerializer,
    )
    def get(self, request, id_number: str):
        try:
            id_number = validate_id_number(id_number)
        except ValidationError as bad:
            message = bad.messages[0]
            raise ApplicationError(message, fields={"id_number": [message]}) from None
        person = person_get(scope=scope_for(request.user), id_number=id_number)
        months = [
            {"month": month, "entries": entries}
            for month, entries in selectors.duplicates(person).items()
        ]
        return Response(RefundDuplicatesSerializer({"months": months}).data)


# --- refunds ------------------------------------------------------------------------------------


class RefundIdentityInputSerializer(serializers.Serializer):
    region = RegionCodeField(help_text="参保地区划代码（或其省级代码）")
    start = MonthField()
    end = MonthField()
    identity = serializers.ChoiceField(choices=Identity.choices)


class RefundBankInputSerializer(serializers.Serializer):
    bank_name = TextField(max_length=64, allow_blank=True)
    account_no = TextField(max_length=64, allow_blank=True, help_text="12至30位数字（可含空格）")
    holder_name = TextField(max_length=64, allow_blank=True, help_text="户名须为参保人本人")


class RefundCollectionApi(APIView):
    """/refunds/: the list (GET) and 退费申请 (POST) share the path; each method is one
    operation with its own permission and schema."""

    class RefundFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=RefundStatus.choices, required=False)
        id_number = TextField(max_length=18, required=False)

    class RefundSubmitInputSerializer(serializers.Serializer):
        id_number = TextField(max_length=18)
        channel = serializers.ChoiceField(choices=Channel.choices)
        refund_region = RegionCodeField(
            help_text="退费方向：退哪个参保地的月份（其区划代码或省级代码）"
        )
        months = serializers.ListField(child=MonthField(), allow_empty=False, max_length=MAX_MONTHS)
        identities = RefundIdentityInputSerializer(
            many=True, allow_empty=False, max_length=MAX_MONTHS
        )
        bank = RefundBankInputSerializer()

    pagination_class = Pagination  # for the schema: the list is documented as a page

    def get_permissions(self):
        action = "refund.apply" if self.request.method == "POST" else "refund.view"
        return [allowed(action)()]

    @extend_schema(
        description="Refunds of the user's province (refunding or accepting; national offices: "
        "all), newest first, paginated.",
        parameters=[RefundFilterSerializer],
        responses=RefundSerializer(many=True),
    )
    def get(self, request):
        filters = self.RefundFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        refunds = selectors.refund_list(scope=scope_for(request.user), **filters.validated_data)
        return paginated_response(
            serializer_class=RefundSerializer,
            queryset=refunds,
            request=request,
            view=self,
            prepare=selectors.with_months,
        )

    @extend_schema(
        description="退费申请 (a clerk at the window, or an online channel): the months of the "
        "account at `refund_region` paid twice, each with the identity declared for its period, "
        "to the person's own bank account. Employee-vs-flexible overlaps refund only the "
        "flexible side, and only with `channel: window` (人社部发〔2025〕42号).",
        request=RefundSubmitInputSerializer,
        responses={201: RefundSerializer},
    )
    def post(self, request):
        data = self.RefundSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        refund = services.refund_submit(
            actor=request.user,
            identities=[services.IdentityPeriod(**p) for p in values.pop("identities")],
            bank=services.Bank(**values.pop("bank")),
            **values,
        )
        return refund_response(request, refund.refund_no, status.HTTP_201_CREATED)


class RefundDetailApi(APIView):
    permission_classes = [allowed("refund.view")]

    @extend_schema(parameters=[REFUND_NO_PARAMETER], responses=RefundSerializer)
    def get(self, request, refund_no: str):
        return refund_response(request, refund_no)


class RefundApproveApi(APIView):
    """审批通过 (a supervisor of the refunding province; the refund must be `submitted`)."""

    permission_classes = [allowed("refund.approve")]

    @extend_schema(parameters=[REFUND_NO_PARAMETER], request=None, responses=RefundSerializer)
    def post(self, request, refund_no: str):
        services.refund_approve(actor=request.user, refund_no=refund_no)
        return refund_response(request, refund_no)


class RefundRejectApi(APIView):
    """审批不通过, with the reason (a supervisor of the refunding province): the months are free
    to be applied for again."""

    permission_classes = [allowed("refund.approve")]

    class RefundRejectInputSerializer(serializers.Serializer):
        note = TextField(max_length=500, allow_blank=True)

    @extend_schema(
        parameters=[REFUND_NO_PARAMETER],
        request=RefundRejectInputSerializer,
        responses=RefundSerializer,
    )
    def post(self, request, refund_no: str):
        data = self.RefundRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_reject(actor=request.user, refund_no=refund_no, **data.validated_data)
        return refund_response(request, refund_no)


class RefundPayApi(APIView):
    """退费支付 (the refunding province's finance, once approved), with the payment voucher: the
    months become cleared and the individual account gives back what they had credited."""

    permission_classes = [allowed("refund.pay")]

    class RefundPayInputSerializer(serializers.Serializer):
        voucher_no = TextField(max_length=64, allow_blank=True)

    @extend_schema(
        parameters=[REFUND_NO_PARAMETER],
        request=RefundPayInputSerializer,
        responses=RefundSerializer,
    )
    def post(self, request, refund_no: str):
        data = self.RefundPayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refund_pay(actor=request.user, refund_no=refund_no, **data.validated_data)
        return refund_response(request, refund_no)
