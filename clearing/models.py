"""Clearing: what one province owes another. The monthly batch (periods, positions, settlement
instructions) builds on these obligations; a completed periodic transfer leg writes exactly one."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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
