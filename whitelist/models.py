"""Retirement pre-check whitelist (退休一件事 预校验 白名单维护, DESIGN.md §7): an entry excludes
one other-province account from the pre-check of one benefit province, for an accepted reason,
with its evidence. Made at a window by an admin of the benefit province, in force once a different
supervisor approves it, until revoked."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from common.files import EXTENSIONS
from common.models import BaseModel


class Reason(models.TextChoices):
    CLEARED = "CLEARED", _("已清算")
    TRANSFERRED = "TRANSFERRED", _("已转移")
    OUT_REFUSED_NO_RECORDS = "OUT_REFUSED_NO_RECORDS", _("外省拒绝转出：无需要转移的缴费记录")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("审核不通过")
    REVOKED = "revoked", _("已撤销")


ACTIVE = [EntryStatus.PENDING, EntryStatus.APPROVED]


def evidence_path(instance, filename: str) -> str:
    """A random name: nothing of the person or the original file name reaches the disk."""
    extension = EXTENSIONS[instance.evidence_content_type]
    return f"evidence/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class WhitelistEntry(ConcurrentTransitionMixin, BaseModel):
    entry_no = models.CharField("白名单编号", max_length=40, unique=True)
    person = models.ForeignKey(
        "registry.Person", verbose_name="参保人员", on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(
        "registry.InsuranceAccount",
        verbose_name="外省参保关系",
        on_delete=models.PROTECT,
        related_name="whitelist_entries",
    )
    benefit_province = models.ForeignKey(
        "registry.Region", verbose_name="待遇领取地省份", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("原因", max_length=32, choices=Reason.choices)
    evidence = models.CharField("证明材料说明", max_length=500)
    evidence_file = models.FileField("证明材料", upload_to=evidence_path)
    evidence_content_type = models.CharField(max_length=32)
    evidence_name = models.CharField("原文件名", max_length=255, blank=True)
    refused_leg = models.ForeignKey(
        "transfer.TransferLeg",
        verbose_name="外省拒绝转出的转移业务",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField("受理渠道", max_length=24)
    office = models.ForeignKey(
        "registry.Office", verbose_name="受理机构", on_delete=models.PROTECT, related_name="+"
    )
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    status = FSMField(
        "状态", default=EntryStatus.PENDING, choices=EntryStatus.choices, protected=True
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField("审核时间", null=True, blank=True)
    note = models.CharField("审核意见／撤销原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "白名单"
        verbose_name_plural = "白名单"
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=Reason.values), name="entry_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="entry_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(reason="OUT_REFUSED_NO_RECORDS") | Q(refused_leg__isnull=False),
                name="entry_refusal_names_its_leg",
            ),
            # One pending or approved entry per account and benefit province.
            models.UniqueConstraint(
                fields=["account", "benefit_province"],
                condition=Q(status__in=ACTIVE),
                name="entry_one_active",
            ),
        ]

    def __str__(self) -> str:
        return self.entry_no

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EntryStatus.PENDING, target=EntryStatus.APPROVED)
    def approve(self, *, checker, at, by=None, description=None) -> None:
        self.checker, self.checked_at = checker, at

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EntryStatus.PENDING, target=EntryStatus.REJECTED)
    def reject(self, *, checker, at, reason: str, by=None, description=None) -> None:
        self.checker, self.checked_at, self.note = checker, at, reason

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=EntryStatus.APPROVED, target=EntryStatus.REVOKED)
    def revoke(self, *, reason: str, by=None, description=None) -> None:
        self.note = reason
