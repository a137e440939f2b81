"""The registry every workflow reads: regions, offices, staff, persons, accounts, months,
the working-day calendar and module switches. Constraints hold what must never be false."""

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Left
from django.utils.translation import gettext_lazy as _

from common.masking import mask_id_number, mask_name
from common.models import BaseModel
from common.scope import Role

REGION_CODE = r"^[0-9]{6}$"
# The province of a region code: its first two digits + "0000" (DESIGN.md §3).
PROVINCE_OF_REGION = Concat(Left("region_id", 2), Value("0000"))
ID_NUMBER = r"^[0-9]{17}[0-9X]$"


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("地级")
    COUNTY = "county", _("县级")


class Region(models.Model):
    """A GB/T 2260 division (province XX0000, city XXXX00, county), plus 兵团 660000."""

    Level = RegionLevel

    code = models.CharField("区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT
    )
    settlement_unit = models.BooleanField(
        "清算单位", default=False, help_text="31个省级单位及新疆生产建设兵团"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=REGION_CODE), name="region_code_6_digits"
            ),
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values), name="region_level_valid"
            ),
            models.CheckConstraint(
                condition=~Q(level="province") | Q(code__endswith="0000"),
                name="region_province_code_ends_0000",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def province_code(self) -> str:
        return f"{self.code[:2]}0000"


class Office(BaseModel):
    """A handling office (社保经办机构). A national office (the ministry) sees every province."""

    code = models.CharField("机构代码", max_length=32, unique=True)
    name = models.CharField("机构名称", max_length=128)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    province = models.ForeignKey(
        Region, verbose_name="所属省份", on_delete=models.PROTECT, related_name="+"
    )
    national = models.BooleanField("全国性机构", default=False)
    address = models.CharField("地址", max_length=255, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True)

    class Meta:
        verbose_name = "经办机构"
        verbose_name_plural = "经办机构"
        ordering = ["province_id", "code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="office_code_not_blank"),
            models.CheckConstraint(
                condition=Q(province_id=PROVINCE_OF_REGION), name="office_province_matches_region"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="office_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(BaseModel):
    """A Django user working at one office, with one or more roles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="staff",
    )
    office = models.ForeignKey(
        Office,
        verbose_name="经办机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    class Meta:
        verbose_name = "经办人员"
        verbose_name_plural = "经办人员"

    def __str__(self) -> str:
        return self.user.get_username()


class StaffRole(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="staff_role_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="staff_role_valid"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    RECEIVING_BENEFITS = "receiving_benefits", _("已领取待遇")
    DECEASED = "deceased", _("已死亡")


class Person(BaseModel):
    Status = PersonStatus

    id_number = models.CharField("社会保障号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=64)
    hukou_region = models.ForeignKey(
        Region, verbose_name="户籍地", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = "参保人员"
        verbose_name_plural = "参保人员"
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=ID_NUMBER), name="person_id_format"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="person_name_not_blank"),
            models.CheckConstraint(
                condition=Q(status__in=PersonStatus.values), name="person_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {mask_id_number(self.id_number)}"


class Scheme(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业职工基本养老保险")
    INSTITUTION = "institution", _("机关事业单位养老保险")
    RESIDENT = "resident", _("城乡居民基本养老保险")


class AccountType(models.TextChoices):
    GENERAL = "general", _("一般账户")
    TEMPORARY = "temporary", _("临时账户")


class AccountStatus(models.TextChoices):
    CONTRIBUTING = "contributing", _("正常缴费")
    SUSPENDED = "suspended", _("暂停缴费")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    CLOSED = "closed", _("已终止")


class InsuranceAccount(BaseModel):
    """参保关系: a person's pension insurance in one province and scheme."""

    Scheme = Scheme
    AccountType = AccountType
    Status = AccountStatus

    person = models.ForeignKey(
        Person, verbose_name="参保人员", on_delete=models.PROTECT, related_name="accounts"
    )
    region = models.ForeignKey(
        Region, verbose_name="参保地", on_delete=models.PROTECT, related_name="+"
    )
    province = models.ForeignKey(
        Region, verbose_name="参保省份", on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.CharField("险种", max_length=16, choices=Scheme.choices)
    account_type = models.CharField(
        "账户类型", max_length=16, choices=AccountType.choices, default=AccountType.GENERAL
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    arrears_fen = models.BigIntegerField("欠费（分）", default=0)
    individual_balance_fen = models.BigIntegerField("个人账户余额（分）", default=0)

    class Meta:
        verbose_name = "参保关系"
        verbose_name_plural = "参保关系"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "province", "scheme"], name="account_one_per_province_scheme"
            ),
            models.CheckConstraint(
                condition=Q(province_id=PROVINCE_OF_REGION), name="account_province_matches_region"
            ),
            models.CheckConstraint(condition=Q(arrears_fen__gte=0), name="account_arrears_ge_0"),
            models.CheckConstraint(
                condition=Q(individual_balance_fen__gte=0), name="account_balance_ge_0"
            ),
            models.CheckConstraint(
                condition=Q(scheme__in=Scheme.values), name="account_scheme_valid"
            ),
            models.CheckConstraint(
                condition=Q(account_type__in=AccountType.values), name="account_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AccountStatus.values), name="account_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["province", "status"])]

    def __str__(self) -> str:
        return f"{self.person} {self.region_id} {self.get_scheme_display()}"


class Identity(models.TextChoices):
    EMPLOYEE = "employee", _("职工")
    FLEXIBLE = "flexible", _("灵活就业·个人身份")


class ContributionMonth(models.Model):
    """One paid month of an account. Cleared months (refunded or settled) no longer count."""

    Identity = Identity

    account = models.ForeignKey(
        InsuranceAccount, verbose_name="参保关系", on_delete=models.PROTECT, related_name="months"
    )
    month = models.DateField("缴费月份", help_text="该月1日")
    identity = models.CharField("缴费身份", max_length=16, choices=Identity.choices)
    base_fen = models.BigIntegerField("缴费基数（分）")
    employer_rate = models.DecimalField(
        "单位缴费比例", max_digits=5, decimal_places=4, null=True, blank=True
    )
    origin_province = models.ForeignKey(
        Region,
        verbose_name="转入来源省份",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cleared = models.BooleanField("已清退", default=False)

    class Meta:
        verbose_name = "缴费月份"
        verbose_name_plural = "缴费月份"
        ordering = ["account_id", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "identity"], name="contribution_month_unique"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="contribution_month_is_first"),
            models.CheckConstraint(condition=Q(base_fen__gte=0), name="contribution_base_ge_0"),
            models.CheckConstraint(
                condition=Q(employer_rate__isnull=True)
                | (Q(employer_rate__gte=0) & Q(employer_rate__lt=1)),
                name="contribution_employer_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(identity__in=Identity.values), name="contribution_identity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_identity_display()}"


class HolidayYear(BaseModel):
    """An admin-entered year of China's working-day arrangement (国务院办公厅放假安排).

    Only the exceptions are stored: weekdays off (holidays) and weekend days worked (调休).
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=255, help_text="如：国办发明电〔2026〕X号")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class HolidayDay(models.Model):
    year = models.ForeignKey(HolidayYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", help_text="勾选：调休上班；不勾选：放假")
    name = models.CharField("说明", max_length=32, blank=True)

    class Meta:
        verbose_name = "调整日"
        verbose_name_plural = "调整日"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'}"


class Module(models.TextChoices):
    REGISTRY = "registry", _("参保登记与缴费")
    TRANSFER = "transfer", _("转移接续")
    CLEARING = "clearing", _("定期清算")
    REFUNDS = "refunds", _("重复缴费退费")
    WHITELIST = "whitelist", _("白名单维护")


class ModuleSwitch(models.Model):
    """A module can be suspended nationally; its writes are refused with `notice` (503)."""

    Module = Module

    name = models.CharField("模块", max_length=16, primary_key=True, choices=Module.choices)
    suspended = models.BooleanField("暂停办理", default=False)
    notice = models.CharField("公告", max_length=500, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="更新人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "模块开关"
        verbose_name_plural = "模块开关"
        constraints = [
            models.CheckConstraint(condition=Q(name__in=Module.values), name="module_name_valid"),
            models.CheckConstraint(
                condition=Q(suspended=False) | ~Q(notice=""), name="module_suspended_has_notice"
            ),
        ]

    def __str__(self) -> str:
        return self.get_name_display()
