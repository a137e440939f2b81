"""Registry API (API.md "Auth" and "Registry"): one class per operation."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ApplicationError
from common.fields import MonthField, RegionCodeField, TextField
from common.pagination import Pagination, paginated_response
from common.permissions import allowed
from common.scope import scope_for
from registry import selectors, services
from registry.models import ContributionMonth, InsuranceAccount, Person


class AuthFailed(ApplicationError):
    status = status.HTTP_401_UNAUTHORIZED
    default_code = "AUTHENTICATION_FAILED"


class LockedOut(ApplicationError):
    status = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "LOCKED_OUT"


class TokenObtainApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    class TokenObtainInputSerializer(serializers.Serializer):
        username = TextField(max_length=150)
        password = TextField(max_length=128, trim_whitespace=False)

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses=inline_serializer("Token", {"token": TextField()}),
        auth=[],
    )
    def post(self, request):
        data = self.TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts failures and flags a lockout on the Django request (not DRF's wrapper).
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                raise LockedOut(settings.AXES_COOLOFF_MESSAGE)
            raise AuthFailed("用户名或密码错误。")
        # A token is a sign-in: last_login is set and django-axes clears the failure count.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class AccountOutputSerializer(serializers.Serializer):
    region = TextField(source="region_id")
    region_name = TextField(source="region.name")
    province = TextField(source="province_id")
    scheme = serializers.ChoiceField(choices=InsuranceAccount.Scheme.choices)
    account_type = serializers.ChoiceField(choices=InsuranceAccount.AccountType.choices)
    status = serializers.ChoiceField(choices=InsuranceAccount.Status.choices)
    paid_months = serializers.IntegerField()
    arrears_fen = serializers.IntegerField()
    individual_balance_fen = serializers.IntegerField()


class PersonOutputSerializer(serializers.Serializer):
    id_number = TextField()
    name = TextField()
    status = serializers.ChoiceField(choices=Person.Status.choices)
    hukou_region = TextField(source="hukou_region_id")
    accounts = AccountOutputSerializer(many=True)


class PersonDetailApi(APIView):
    permission_classes = [allowed("person.view")]

    @extend_schema(responses=PersonOutputSerializer)
    def get(self, request, id_number: str):
        person = selectors.person_get(scope=scope_for(request.user), id_number=id_number)
        return Response(PersonOutputSerializer(person).data)


class PersonRegisterApi(APIView):
    """参保登记 (a clerk). Refused with 503 during the month-end window or a suspension."""

    permission_classes = [allowed("person.register")]

    class PersonRegisterInputSerializer(serializers.Serializer):
        id_number = TextField(max_length=18)
        name = TextField(max_length=64)
        hukou_region = RegionCodeField()

    @extend_schema(request=PersonRegisterInputSerializer, responses={201: PersonOutputSerializer})
    def post(self, request):
        data = self.PersonRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_register(actor=request.user, **data.validated_data)
        person = selectors.person_get(scope=scope_for(request.user), id_number=person.id_number)
        return Response(PersonOutputSerializer(person).data, status=status.HTTP_201_CREATED)


class ContributionRecordApi(APIView):
    """缴费记录 (a clerk of the account's province)."""

    permission_classes = [allowed("contribution.record")]

    class ContributionRecordInputSerializer(serializers.Serializer):
        region = RegionCodeField()
        scheme = serializers.ChoiceField(choices=InsuranceAccount.Scheme.choices)
        month = MonthField()
        identity = serializers.ChoiceField(choices=ContributionMonth.Identity.choices)
        base_fen = serializers.IntegerField(min_value=0, max_value=10**12)
        employer_rate = serializers.DecimalField(
            max_digits=5,
            decimal_places=4,
            min_value=Decimal(0),
            max_value=Decimal("0.9999"),
            required=False,
        )

    class ContributionRecordOutputSerializer(serializers.Serializer):
        region = TextField(source="account.region_id")
        month = MonthField()
        identity = TextField()
        base_fen = serializers.IntegerField()

    @extend_schema(
        request=ContributionRecordInputSerializer,
        responses={201: ContributionRecordOutputSerializer},
    )
    def post(self, request, id_number: str):
        data = self.ContributionRecordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.contribution_record(
            actor=request.user, id_number=id_number, **data.validated_data
        )
        return Response(
            self.ContributionRecordOutputSerializer(record).data, status=status.HTTP_201_CREATED
        )


class OfficeOutputSerializer(serializers.Serializer):
    code = TextField()
    name = TextField()
    region = TextField(source="region_id")
    region_name = TextField(source="region.name")
    province = TextField(source="province_id")
    province_name = TextField(source="province.name")
    national = serializers.BooleanField()
    address = TextField()
    phone = TextField()


class OfficeListApi(APIView):
    permission_classes = [allowed("office.view")]
    pagination_class = Pagination  # the schema documents the answer as a page

    class OfficeListFilterSerializer(serializers.Serializer):
        province = RegionCodeField(required=False)
        q = TextField(required=False, max_length=64)

    @extend_schema(
        parameters=[
            OpenApiParameter("province", str, description="省份代码，如110000"),
            OpenApiParameter("q", str, description="机构名称或代码关键字"),
            OpenApiParameter("page", int),
        ],
        responses=OfficeOutputSerializer(many=True),
    )
    def get(self, request):
        filters = self.OfficeListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        offices = selectors.office_list(scope=scope_for(request.user), **filters.validated_data)
        return paginated_response(
            serializer_class=OfficeOutputSerializer, queryset=offices, request=request, view=self
        )


class RegionListApi(APIView):
    """Provinces (no `parent`), or the children of one region: the province → city → county
    selects of the forms."""

    permission_classes = [allowed("office.view")]

    class RegionFilterSerializer(serializers.Serializer):
        parent = RegionCodeField(required=False)

    class RegionOutputSerializer(serializers.Serializer):
        code = TextField()
        name = TextField()
        level = TextField()

    @extend_schema(parameters=[RegionFilterSerializer], responses=RegionOutputSerializer(many=True))
    def get(self, request):
        filters = self.RegionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        regions = selectors.region_children(parent=filters.validated_data.get("parent"))
        return Response(self.RegionOutputSerializer(regions, many=True).data)


class ModuleSwitchApi(APIView):
    permission_classes = [allowed("module.switch")]

    class ModuleSwitchInputSerializer(serializers.Serializer):
        suspended = serializers.BooleanField()
        notice = TextField(max_length=500, allow_blank=True, required=False, default="")

    class ModuleSwitchOutputSerializer(serializers.Serializer):
        name = TextField()
        suspended = serializers.BooleanField()
        notice = TextField()
        updated_at = serializers.DateTimeField()

    @extend_schema(request=ModuleSwitchInputSerializer, responses=ModuleSwitchOutputSerializer)
    def put(self, request, name: str):
        data = self.ModuleSwitchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        switch = services.module_switch_set(actor=request.user, name=name, **data.validated_data)
        return Response(self.ModuleSwitchOutputSerializer(switch).data)
