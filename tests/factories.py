"""factory_boy factories. Tests that exercise a workflow build state through services instead."""

import struct
import zlib
from datetime import date

import factory
from django.contrib.auth import get_user_model

from common.scope import province_of
from registry.models import (
    ContributionMonth,
    InsuranceAccount,
    Office,
    Person,
    Region,
    Staff,
    StaffRole,
)
from registry.validators import make_id_number

PASSWORD = "test-pass-123"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"OFF{n:04d}")
    name = factory.LazyAttribute(lambda o: f"{o.region.name}社会保险事业管理中心")
    region = factory.LazyFunction(lambda: Region.objects.get(code="110108"))
    province = factory.LazyAttribute(lambda o: Region.objects.get(code=province_of(o.region.code)))
    national = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    """StaffFactory(roles=["clerk"], office=...)"""

    class Meta:
        model = Staff
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    office = factory.SubFactory(OfficeFactory)

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        for role in extracted or []:
            StaffRole.objects.create(staff=obj, role=role)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    id_number = factory.Sequence(lambda n: make_id_number("110101", date(1980, 1, 1 + n % 28), n))
    name = factory.Sequence(lambda n: f"测试{n}号")
    hukou_region = factory.LazyFunction(lambda: Region.objects.get(code="110101"))
    status = Person.Status.ACTIVE


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsuranceAccount

    person = factory.SubFactory(PersonFactory)
    region = factory.LazyFunction(lambda: Region.objects.get(code="220102"))
    province = factory.LazyAttribute(lambda o: Region.objects.get(code=province_of(o.region.code)))
    scheme = InsuranceAccount.Scheme.ENTERPRISE
    account_type = InsuranceAccount.AccountType.GENERAL
    status = InsuranceAccount.Status.CONTRIBUTING
    arrears_fen = 0
    individual_balance_fen = 0


class MonthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContributionMonth

    account = factory.SubFactory(AccountFactory)
    month = date(2020, 1, 1)
    identity = ContributionMonth.Identity.EMPLOYEE
    base_fen = 600000


def png_bytes() -> bytes:
    """A real 1×1 grey PNG, as a scanner would produce (much smaller): for upload tests."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
