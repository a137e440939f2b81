"""Pieces every app builds on: timestamps and the audit trail of writes."""

from django.conf import settings
from django.db import models


class BaseModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditRecord(models.Model):
    """Who did what to which record, and when. One row per write, in the write's transaction.

    State transitions of workflow legs are logged by django-fsm-log; every other write lands here.
    Append-only: never updated or deleted by the app, and on PostgreSQL a trigger refuses it.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人标识", max_length=150)
    office_code = models.CharField("经办机构", max_length=32, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象标识", max_length=64, db_index=True)
    data = models.JSONField("内容", default=dict, blank=True)
    # The hash chain (common/audit.py): `seq` orders sealed records, `hash` covers this record and
    # the previous one's hash. Written once by the sealer; PostgreSQL refuses any other change.
    seq = models.BigIntegerField("链序号", null=True, blank=True, unique=True)
    prev_hash = models.CharField("前一记录哈希", max_length=64, blank=True)
    hash = models.CharField("记录哈希", max_length=64, blank=True)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_id}"
