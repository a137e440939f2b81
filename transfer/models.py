"""Transfer applications and their legs (one per outgoing place), the legs' state machine,
information sheets, uploaded materials, and the idempotency keys of API submissions.

Transitions only declare the legal edges and set the leg's own fields; transfer/services.py loads
the leg with a lock, checks, calls the transition, saves and does everything else (STYLE.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from common.files import EXTENSIONS
from common.models import BaseModel
from registry.models import Scheme


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口")
    NATIONAL_PLATFORM = "national_platform", _("国家社会保险公共服务平台")
    PROVINCIAL_PLATFORM = "provincial_platform", _("省级网上服务平台")
    E_CARD = "e_card", _("电子社保卡")
    APP_12333 = "app_12333", _("掌上12333")


class ApplicantKind(models.TextChoices):
    SELF = "self", _("本人")
    AGENT = "agent", _("代办")


class Application(BaseModel):
    """One submission (受理): a person asks to move the insurance of one or more places."""

    # office code (≤ 32) + "-YYYYMMDD-" + 5 digits; a leg adds "-N"
    application_no = models.CharField("申请编号", max_length=48, unique=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name="参保人员", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("姓名", max_length=64)
    phone = models.CharField("联系电话", max_length=20)
    hukou_address = models.CharField("户籍地址", max_length=200)
    in_scheme = models.CharField("转入险种", max_length=16, choices=Scheme.choices)
    in_region = models.ForeignKey(
        "registry.Region", verbose_name="转入地", on_delete=models.PROTECT, related_name="+"
    )
    in_province = models.ForeignKey(
        "registry.Region", verbose_name="转入省份", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("受理渠道", max_length=24, choices=Channel.choices)
    manual = models.BooleanField("手工转移", default=False)
    accepting_office = models.ForeignKey(
        "registry.Office", verbose_name="受理机构", on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", on_delete=models.PROTECT, related_name="+"
    )
    applicant_kind = models.CharField(
        "申请方式", max_length=8, choices=ApplicantKind.choices, default=ApplicantKind.SELF
    )
    agent_name = models.CharField("代办人姓名", max_length=64, blank=True)
    agent_id_number = models.CharField("代办人证件号码", max_length=18, blank=True)
    power_of_attorney = models.BooleanField("已提供授权委托书", default=False)

    class Meta:
        verbose_name = "转移申请"
        verbose_name_plural = "转移申请"
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="app_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(applicant_kind="self")
                | (~Q(agent_name="") & ~Q(agent_id_number="") & Q(power_of_attorney=True)),
                name="app_agent_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.application_no


class NumberCounter(models.Model):
    """Daily per-office counter behind the readable application numbers (one atomic upsert)."""

    office_code = models.CharField(max_length=32)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office_code", "day"], name="counter_office_day")
        ]

    def __str__(self) -> str:
        return f"{self.office_code} {self.day} #{self.last}"


class Mode(models.TextChoices):
    PERIODIC = "periodic", _("定期清算模式")
    TRADITIONAL = "traditional", _("传统模式")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已受理")
    ELIGIBLE = "eligible", _("校验通过")
    REJECTED = "rejected", _("审核不通过")
    LETTER_ISSUED = "letter_issued", _("已开具联系函")
    INFO_UPLOADED = "info_uploaded", _("信息表已上传")
    INFO_ACCEPTED = "info_accepted", _("信息表已接收")
    FUNDS_REMITTED = "funds_remitted", _("基金已划转")
    COMPLETED = "completed", _("办结")
    REFUSED = "refused", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = [
    Status.SUBMITTED,
    Status.ELIGIBLE,
    Status.LETTER_ISSUED,
    Status.INFO_UPLOADED,
    Status.INFO_ACCEPTED,
    Status.FUNDS_REMITTED,
]


# The outgoing reviewer's worklist: a periodic leg once checked, a traditional one once the
# incoming province has issued its contact letter.
OUT_WORK = [Status.ELIGIBLE, Status.LETTER_ISSUED]


class RefuseCode(models.TextChoices):
    NO_TRANSFERABLE_RECORDS = "NO_TRANSFERABLE_RECORDS", _("无可转移的缴费记录")
    OTHER = "OTHER", _("其他原因")


class TransferLeg(ConcurrentTransitionMixin, BaseModel):
    """One outgoing place of an application: the unit that moves through the workflow."""

    transfer_no = models.CharField("转移编号", max_length=52, unique=True)
    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.PROTECT, related_name="legs"
    )
    mode = models.CharField("模式", max_length=12, choices=Mode.choices, default=Mode.PERIODIC)
    out_scheme = models.CharField("转出险种", max_length=16, choices=Scheme.choices)
    out_region = models.ForeignKey(
        "registry.Region", verbose_name="转出地", on_delete=models.PROTECT, related_name="+"
    )
    out_province = models.ForeignKey(
        "registry.Region", verbose_name="转出省份", on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised from the application: worklists filter legs by both provinces.
    in_province = models.ForeignKey(
        "registry.Region", verbose_name="转入省份", on_delete=models.PROTECT, related_name="+"
    )
    out_account = models.ForeignKey(
        "registry.InsuranceAccount",
        verbose_name="转出参保关系",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = FSMField("状态", default=Status.SUBMITTED, choices=Status.choices, protected=True)
    reasons = models.JSONField("原因", default=list, blank=True)
    refuse_code = models.CharField(
        "不予受理原因", max_length=32, blank=True, choices=RefuseCode.choices
    )
    deadline = models.DateField("办理时限", null=True, blank=True)
    overdue = models.BooleanField("已超期", default=False)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "转移业务"
        verbose_name_plural = "转移业务"
        indexes = [
            # The worklists (selectors.WORKLISTS), each in its order: a leg is in one only while
            # it waits there, and `overdue` (after the unique id: it never changes the order) lets
            # the counts on every reviewer page (selectors.worklist_counts) skip the table; an
            # INCLUDE column would do the same but warns on SQLite (bench/transfer.py).
            models.Index(
                fields=["out_province", "deadline", "id", "overdue"],
                condition=Q(status__in=OUT_WORK),
                name="leg_out_work",
            ),
            models.Index(
                fields=["in_province", "deadline", "id", "overdue"],
                condition=Q(status=Status.INFO_UPLOADED),
                name="leg_in_work",
            ),
            models.Index(
                fields=["in_province", "deadline", "id", "overdue"],
                condition=Q(status=Status.SUBMITTED, mode=Mode.TRADITIONAL),
                name="leg_review_work",
            ),
            models.Index(
                fields=["out_province", "deadline", "id", "overdue"],
                condition=Q(status=Status.INFO_ACCEPTED),
                name="leg_remit_work",
            ),
            models.Index(
                fields=["in_province", "deadline", "id", "overdue"],
                condition=Q(status=Status.FUNDS_REMITTED),
                name="leg_receive_work",
            ),
            models.Index(fields=["status", "deadline"], name="leg_status_deadline"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="leg_status_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="leg_mode_valid"),
        ]

    def __str__(self) -> str:
        return self.transfer_no

    def is_periodic(self) -> bool:
        return self.mode == Mode.PERIODIC

    def is_traditional(self) -> bool:
        return self.mode == Mode.TRADITIONAL

    # --- both models (DESIGN.md §4); `by` and `description` feed django-fsm-log ----------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=[Status.ELIGIBLE, Status.LETTER_ISSUED], target=Status.INFO_UPLOADED
    )
    def upload_info(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=[Status.ELIGIBLE, Status.LETTER_ISSUED], target=Status.REFUSED)
    def refuse(self, *, code: str, by=None, description=None) -> None:
        self.refuse_code = code

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.ELIGIBLE, Status.LETTER_ISSUED],
        target=Status.WITHDRAWN,
    )
    def withdraw(self, *, by=None, description=None) -> None:
        pass

    # --- periodic model: the ministry's check, the incoming province closes the case -----------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.REJECTED],
        target=Status.ELIGIBLE,
        conditions=[is_periodic],
    )
    def pass_check(self, *, by=None, description=None) -> None:
        self.reasons = []

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.REJECTED],
        target=Status.REJECTED,
        conditions=[is_periodic],
    )
    def fail_check(self, *, reasons: list[dict], by=None, description=None) -> None:
        self.reasons = reasons

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.INFO_UPLOADED,
        target=Status.COMPLETED,
        conditions=[is_periodic],
    )
    def confirm(self, *, completed_at, by=None, description=None) -> None:
        self.completed_at = completed_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=Status.INFO_UPLOADED, target=Status.ELIGIBLE, conditions=[is_periodic]
    )
    def send_back(self, *, by=None, description=None) -> None:
        pass

    # --- traditional model: letter, sheet accepted, money remitted and received per case -------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.LETTER_ISSUED,
        conditions=[is_traditional],
    )
    def issue_letter(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=Status.SUBMITTED, target=Status.REJECTED, conditions=[is_traditional]
    )
    def reject(self, *, reasons: list[dict], by=None, description=None) -> None:
        self.reasons = reasons

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.INFO_UPLOADED,
        target=Status.INFO_ACCEPTED,
        conditions=[is_traditional],
    )
    def accept_info(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.INFO_UPLOADED,
        target=Status.LETTER_ISSUED,
        conditions=[is_traditional],
    )
    def return_info(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.INFO_ACCEPTED,
        target=Status.FUNDS_REMITTED,
        conditions=[is_traditional],
    )
    def remit(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.FUNDS_REMITTED,
        target=Status.COMPLETED,
        conditions=[is_traditional],
    )
    def receive(self, *, completed_at, by=None, description=None) -> None:
        self.completed_at = completed_at


class ContactLetter(models.Model):
    """联系函: the incoming province's numbered letter asking the outgoing province for the case's
    information sheet (traditional model). Its printable text is built from these fields."""

    leg = models.OneToOneField(TransferLeg, on_delete=models.PROTECT, related_name="letter")
    letter_no = models.CharField("联系函编号", max_length=32, unique=True)
    issued_at = models.DateTimeField("开具时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="开具人", on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(
        "registry.Office", verbose_name="开具机构", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "联系函"
        verbose_name_plural = "联系函"

    def __str__(self) -> str:
        return self.letter_no


class Remittance(models.Model):
    """The traditional case's own money: remitted by the outgoing province's finance (amount and
    bank voucher), its receipt confirmed by the incoming province's finance."""

    leg = models.OneToOneField(TransferLeg, on_delete=models.PROTECT, related_name="remittance")
    amount_fen = models.BigIntegerField("划转金额（分）")
    voucher_no = models.CharField("银行凭证号", max_length=64)
    remitted_at = models.DateTimeField("划转登记时间", auto_now_add=True)
    remitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="划转登记人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_fen = models.BigIntegerField("到账金额（分）", null=True, blank=True)
    received_at = models.DateTimeField("到账确认时间", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="到账确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "基金划转"
        verbose_name_plural = "基金划转"
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="remittance_amount_ge_0"),
            models.CheckConstraint(
                condition=Q(received_fen__isnull=True) | Q(received_fen=F("amount_fen")),
                name="remittance_received_is_remitted",
            ),
        ]

    def __str__(self) -> str:
        return self.voucher_no


class InfoSheet(models.Model):
    """参保缴费信息表: what the outgoing province sends, frozen at upload (versioned)."""

    leg = models.ForeignKey(TransferLeg, on_delete=models.PROTECT, related_name="info_sheets")
    version = models.PositiveSmallIntegerField("版本")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=500, blank=True)
    months = models.PositiveIntegerField("缴费月数")
    pooled_months = models.PositiveIntegerField("计算统筹基金月数")
    individual_fen = models.BigIntegerField("个人账户（分）")
    pooled_fen = models.BigIntegerField("统筹基金（分）")
    total_fen = models.BigIntegerField("合计（分）")
    duplicate_months = models.JSONField("重复缴费月份", default=list)
    # Every month as sent: [month "YYYY-MM", identity, base_fen, rate "0.12", pooled (Decimal str)].
    detail = models.JSONField("明细", default=list)

    class Meta:
        verbose_name = "信息表"
        verbose_name_plural = "信息表"
        ordering = ["leg_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["leg", "version"], name="info_sheet_version_unique"),
            models.CheckConstraint(
                condition=Q(individual_fen__gte=0) & Q(pooled_fen__gte=0),
                name="info_sheet_amounts_ge_0",
            ),
            models.CheckConstraint(
                condition=Q(total_fen=models.F("individual_fen") + models.F("pooled_fen")),
                name="info_sheet_total_is_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leg} v{self.version}"


class MaterialKind(models.TextChoices):
    IDENTITY = "identity", _("本人身份证件")
    AGENT_IDENTITY = "agent_identity", _("代办人身份证件")
    POWER_OF_ATTORNEY = "power_of_attorney", _("授权委托书")


def material_path(instance, filename: str) -> str:
    """A random name: nothing of the person or the original file name reaches the disk."""
    extension = EXTENSIONS[instance.content_type]
    return f"materials/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Material(models.Model):
    """An uploaded document, stored under a random name; served only after a scope check."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="materials")
    kind = models.CharField("材料类型", max_length=24, choices=MaterialKind.choices)
    file = models.FileField("文件", upload_to=material_path)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"

    def __str__(self) -> str:
        return self.get_kind_display()


class IdempotencyKey(models.Model):
    """The first answer to an `Idempotency-Key`, replayed for the same key and body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return self.key
