"""Where a running batch is, for the period page to show while it waits.

The batch is one transaction, so nothing it writes is visible before it commits; its progress
goes to the cache instead (Redis where a worker runs the batch, so the web process sees it)."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache
from django.db import models
from django.utils import timezone


class ProgressState(models.TextChoices):
    IDLE = "idle", "未运行"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


STAGES = (
    "锁定清算期",
    "按付款省份、收款省份汇总债务",
    "计算各省净额头寸",
    "生成结算指令",
    "计算校验和并保存结果",
)
KEEP_SECONDS = 3600


def _key(month: date) -> str:
    return f"clearing:progress:{month:%Y-%m}"


def progress_get(month: date) -> dict | None:
    """`{"state": "running"|"done"|"failed", "step", "steps", "stage", "by", "started_at",
    "message"}`, or None when no batch ran in the last hour."""
    return cache.get(_key(month))


def progress_start(month: date, by: str) -> None:
    cache.set(
        _key(month),
        {
            "state": ProgressState.RUNNING,
            "step": 0,
            "steps": len(STAGES),
            "stage": STAGES[0],
            "by": by,
            "started_at": timezone.now().isoformat(),
            "message": "",
        },
        KEEP_SECONDS,
    )


def progress_step(month: date, step: int) -> None:
    current = progress_get(month) or {}
    cache.set(_key(month), {**current, "step": step, "stage": STAGES[step]}, KEEP_SECONDS)


def progress_end(month: date, *, ok: bool, message: str) -> None:
    current = progress_get(month) or {}
    state = ProgressState.DONE if ok else ProgressState.FAILED
    steps = len(STAGES)
    step = steps if ok else current.get("step", 0)
    cache.set(
        _key(month),
        {**current, "state": state, "step": step, "steps": steps, "message": message},
        KEEP_SECONDS,
    )
