"""Duplicate-contribution refunds (个人重复缴费退费, DESIGN.md §6): a person asks for the months
paid twice in one account to be refunded. `RefundMonth` rows name the very contribution months;
while a refund is open or paid its months are `active`, and a unique constraint lets a month be
in one active refund only — a month is refunded once, whatever runs at the same time."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from common.models import BaseModel
from registry.models import Identity


class RefundStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已审批")
    REJECTED = "rejected", _("审批不通过")
    PAID = "paid", _("已退费")


class Refund(ConcurrentTransitionMixin, BaseModel):
    """One refund application: the months of one account, the bank account they are paid to."""

    refund_no = models.CharField("退费编号", max_length=40, unique=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name="参保人员", on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "registry.InsuranceAccount",
        verbose_name="退费参保关系",
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    province = models.ForeignKey(
        "registry.Region", verbose_name="退费省份", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("受理渠道", max_length=24)
    accepting_office = models.ForeignKey(
        "registry.Office", verbose_name="受理机构", on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受理人", on_delete=models.PROTECT, related_name="+"
    )
    status = FSMField(
        "状态", default=RefundStatus.SUBMITTED, choices=RefundStatus.choices, protected=True
    )
    # The identities the person declared for the overlapping periods (step 1), as submitted:
    # [{"region", "start" "YYYY-MM", "end", "identity"}, …]
    identities = models.JSONField("参保身份维护", default=list)
    amount_fen = models.BigIntegerField("退费金额（分）")
    credited_fen = models.BigIntegerField("冲减个人账户（分）")
    bank_name = models.CharField("开户银行", max_length=64)
    account_no = models.CharField("银行账号", max_length=32)
    holder_name = models.CharField("户名", max_length=64)
    note = models.CharField("审批意见", max_length=500, blank=True)
    voucher_no = models.CharField("付款凭证号", max_length=64, blank=True)
    paid_at = models.DateTimeField("退费时间", null=True, blank=True)

    class Meta:
        verbose_name = "退费申请"
        verbose_name_plural = "退费申请"
        indexes = [models.Index(fields=["province", "status"], name="refund_province_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="refund_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0) & Q(credited_fen__gte=0),
                name="refund_amounts_ge_0",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (~Q(voucher_no="") & Q(paid_at__isnull=False)),
                name="refund_paid_has_voucher",
            ),
        ]

    def __str__(self) -> str:
        return self.refund_no

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=RefundStatus.SUBMITTED, target=RefundStatus.APPROVED)
    def approve(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=RefundStatus.SUBMITTED, target=RefundStatus.REJECTED)
    def reject(self, *, reason: str, by=None, description=None) -> None:
        self.note = reason

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=RefundStatus.APPROVED, target=RefundStatus.PAID)
    def pay(self, *, voucher_no: str, paid_at, by=None, description=None) -> None:
        self.voucher_no, self.paid_at = voucher_no, paid_at


class RefundMonth(models.Model):
    """One contribution month refunded: what it was, and what it refunds (exact, before the one
    rounding of the refund's total)."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="months")
    contribution = models.ForeignKey(
        "registry.ContributionMonth", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("缴费月份")
    identity = models.CharField("缴费身份", max_length=16, choices=Identity.choices)
    base_fen = models.BigIntegerField("缴费基数（分）")
    rate = models.DecimalField("退费比例", max_digits=4, decimal_places=3)
    amount = models.DecimalField("退费金额（分，未舍入）", max_digits=16, decimal_places=3)
    # Open or paid: the month is taken. A rejected refund releases its months.
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "退费月份"
        verbose_name_plural = "退费月份"
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(
                fields=["contribution"], condition=Q(active=True), name="refund_month_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.identity}"
