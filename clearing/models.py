"""Clearing (DESIGN.md §5): obligations — what one province owes another, one per completed periodic
leg plus the ministry's adjustments — and the monthly periods the batch computes from them: pair
totals, net positions, settlement instructions and each province's statement."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from common.models import BaseModel


class Obligation(BaseModel):
    """Payer (outgoing province) owes payee (incoming province) the amounts of one transfer leg.

    `period` is the Asia/Shanghai month (its 1st) in which the leg completed. An adjusting
    obligation (a later correction, positive or negative) has no leg and carries its reason."""

    leg = models.OneToOneField(
        "transfer.TransferLeg",
        verbose_name="转移业务",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="obligation",
    )
    payer = models.ForeignKey(
        "registry.Region", verbose_name="付款省份", on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        "registry.Region", verbose_name="收款省份", on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField("清算期", db_index=True, help_text="业务办结所在月的1日（北京时间）")
    completed_at = models.DateTimeField("办结时间")
    individual_fen = models.BigIntegerField("个人账户（分）")
    pooled_fen = models.BigIntegerField("统筹基金（分）")
    reason = models.CharField("调整原因", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "清算债务"
        verbose_name_plural = "清算债务"
        indexes = [models.Index(fields=["period", "payer", "payee"])]
        constraints = [
            models.CheckConstraint(condition=~Q(payer=F("payee")), name="obligation_two_provinces"),
            models.CheckConstraint(condition=Q(period__day=1), name="obligation_period_is_first"),
            models.CheckConstraint(
                condition=Q(leg__isnull=True) | (Q(individual_fen__gte=0) & Q(pooled_fen__gte=0)),
                name="obligation_leg_amounts_ge_0",
            ),
            models.CheckConstraint(
                condition=Q(leg__isnull=False) | ~Q(reason=""), name="obligation_adjustment_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.payer_id}→{self.payee_id}"

    @property
    def amount_fen(self) -> int:
        return self.individual_fen + self.pooled_fen


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("未清算")
    CALCULATED = "calculated", _("已计算")
    CONFIRMED = "confirmed", _("已确认")
    SETTLED = "settled", _("已结算")
    CLOSED = "closed", _("已关闭")


class ClearingPeriod(ConcurrentTransitionMixin, BaseModel):
    """One month's settlement between provinces (DESIGN.md §5).

    `open → calculated` by the batch (rerun while calculated; a correction written into a
    calculated period takes it back to open), `→ confirmed` when every province with activity
    confirmed its statement, `→ settled` when every instruction is paid, `→ closed` at once after.
    The control totals and `checksum` are those of the last calculation."""

    month = models.DateField("清算期", unique=True, help_text="所在月的1日")
    status = FSMField(
        "状态", default=PeriodStatus.OPEN, choices=PeriodStatus.choices, protected=True
    )
    obligation_count = models.BigIntegerField("债务笔数", default=0)
    individual_fen = models.BigIntegerField("个人账户合计（分）", default=0)
    pooled_fen = models.BigIntegerField("统筹基金合计（分）", default=0)
    gross_total_fen = models.BigIntegerField("总额（分）", default=0)
    hash_total = models.BigIntegerField("校验总数", default=0)
    checksum = models.CharField("校验和", max_length=64, blank=True)
    calculated_at = models.DateTimeField("计算时间", null=True, blank=True)
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="计算人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    run_count = models.PositiveIntegerField("计算次数", default=0)

    class Meta:
        verbose_name = "清算期"
        verbose_name_plural = "清算期"
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="period_month_is_first"),
            models.CheckConstraint(
                condition=Q(status__in=PeriodStatus.values), name="period_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(gross_total_fen=F("individual_fen") + F("pooled_fen")),
                name="period_gross_is_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[PeriodStatus.OPEN, PeriodStatus.CALCULATED],
        target=PeriodStatus.CALCULATED,
    )
    def calculate(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=PeriodStatus.CALCULATED, target=PeriodStatus.OPEN)
    def reopen(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=PeriodStatus.CALCULATED, target=PeriodStatus.CONFIRMED)
    def confirm(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=PeriodStatus.CONFIRMED, target=PeriodStatus.SETTLED)
    def settle(self, *, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=PeriodStatus.SETTLED, target=PeriodStatus.CLOSED)
    def close(self, *, by=None, description=None) -> None:
        pass


class PairTotal(models.Model):
    """What `payer` owes `payee` in a period: the obligations' count, sums and hash total."""

    period = models.ForeignKey(ClearingPeriod, on_delete=models.CASCADE, related_name="pairs")
    payer = models.ForeignKey(
        "registry.Region", verbose_name="付款省份", on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        "registry.Region", verbose_name="收款省份", on_delete=models.PROTECT, related_name="+"
    )
    count = models.BigIntegerField("笔数")
    individual_fen = models.BigIntegerField("个人账户（分）")
    pooled_fen = models.BigIntegerField("统筹基金（分）")
    amount_fen = models.BigIntegerField("金额（分）")
    hash_total = models.BigIntegerField("校验总数")

    class Meta:
        verbose_name = "省际汇总"
        verbose_name_plural = "省际汇总"
        ordering = ["payer_id", "payee_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "payer", "payee"], name="pair_unique"),
            models.CheckConstraint(
                condition=Q(amount_fen=F("individual_fen") + F("pooled_fen")),
                name="pair_amount_is_sum",
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="pair_count_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.payer_id}→{self.payee_id}"


class Position(models.Model):
    """A province's receivable, payable and net (receivable − payable) in a period."""

    period = models.ForeignKey(ClearingPeriod, on_delete=models.CASCADE, related_name="positions")
    province = models.ForeignKey(
        "registry.Region", verbose_name="省份", on_delete=models.PROTECT, related_name="+"
    )
    receivable_fen = models.BigIntegerField("应收（分）")
    payable_fen = models.BigIntegerField("应付（分）")
    net_fen = models.BigIntegerField("净额（分）")

    class Meta:
        verbose_name = "净额头寸"
        verbose_name_plural = "净额头寸"
        ordering = ["province_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "province"], name="position_unique"),
            models.CheckConstraint(
                condition=Q(net_fen=F("receivable_fen") - F("payable_fen")),
                name="position_net_is_difference",
            ),
        ]

    def __str__(self) -> str:
        return self.province_id


class InstructionStatus(models.TextChoices):
    PENDING = "pending", _("待付款")
    PAID = "paid", _("已付款")


class Instruction(models.Model):
    """One settlement payment; `index` is its place in the period's list, which never reorders."""

    period = models.ForeignKey(
        ClearingPeriod, on_delete=models.CASCADE, related_name="instructions"
    )
    index = models.PositiveIntegerField("序号")
    payer = models.ForeignKey(
        "registry.Region", verbose_name="付款省份", on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        "registry.Region", verbose_name="收款省份", on_delete=models.PROTECT, related_name="+"
    )
    amount_fen = models.BigIntegerField("金额（分）")
    status = models.CharField(
        "状态",
        max_length=12,
        choices=InstructionStatus.choices,
        default=InstructionStatus.PENDING,
    )
    bank_ref = models.CharField("银行流水号", max_length=64, blank=True)
    paid_at = models.DateTimeField("付款登记时间", null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "结算指令"
        verbose_name_plural = "结算指令"
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["period", "index"], name="instruction_index_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="instruction_amount_gt_0"),
            models.CheckConstraint(
                condition=~Q(payer=F("payee")), name="instruction_two_provinces"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InstructionStatus.values), name="instruction_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | (~Q(bank_ref="") & Q(paid_at__isnull=False)),
                name="instruction_paid_has_ref",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.payer_id}→{self.payee_id}"


class StatementStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")


class Statement(models.Model):
    """A province's statement (对账单) of a period: confirmed, or disputed with a note."""

    period = models.ForeignKey(ClearingPeriod, on_delete=models.CASCADE, related_name="statements")
    province = models.ForeignKey(
        "registry.Region", verbose_name="省份", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=12, choices=StatementStatus.choices, default=StatementStatus.PENDING
    )
    note = models.CharField("说明", max_length=500, blank=True)
    acted_at = models.DateTimeField("办理时间", null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "对账单"
        verbose_name_plural = "对账单"
        ordering = ["province_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "province"], name="statement_unique"),
            models.CheckConstraint(
                condition=Q(status__in=StatementStatus.values), name="statement_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="disputed") | ~Q(note=""), name="statement_dispute_has_note"
            ),
        ]

    def __str__(self) -> str:
        return self.province_id
