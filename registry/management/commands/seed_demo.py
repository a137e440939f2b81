"""python manage.py seed_demo — load the demo registry (registry/demo.py) for `make run`.

Deterministic and idempotent. Once loaded, a later run (every `make run`) leaves the database alone,
so that cases worked through the UI survive a restart; `--reload` imports the demo data again
(every record unchanged unless the UI changed it, which the import then puts back).
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from clearing.demo import demo_obligations_load
from common.models import AuditRecord
from registry.demo import DEMO_PASSWORD, demo_registry_data
from registry.management.commands.import_registry import import_and_report

OPERATOR = "seed_demo"


def _width(text: str) -> int:
    """Columns a terminal gives `text`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


class Command(BaseCommand):
    help = "载入演示数据（机构、演示账号、参保人员、参保关系、缴费月份）；确定性、幂等。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--reload", action="store_true", help="已载入时仍重新导入（恢复演示数据的初始值）"
        )

    def handle(self, *args, reload: bool = False, **options):
        data = demo_registry_data()
        if (
            reload
            or not AuditRecord.objects.filter(
                action="registry.import", actor_label=OPERATOR
            ).exists()
        ):
            import_and_report(self, data, operator=OPERATOR)
            self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        else:
            self.stdout.write(
                "演示数据已载入，本次未改动（如需恢复初始数据：seed_demo --reload）。"
            )
        if written := demo_obligations_load():
            self.stdout.write(
                f"演示清算数据：上月省际清算债务 {written} 笔（可由 demo_ministry 计算）。"
            )
        # The national business admin also keeps the Django admin (holiday calendar, registry).
        get_user_model().objects.filter(username="demo_admin").update(
            is_staff=True, is_superuser=True
        )
        self._print_logins(data)

    def _print_logins(self, data) -> None:
        offices = {office["code"]: office["name"] for office in data["offices"]}
        rows = [
            (
                s["username"],
                s["password"],
                f"{s['office']} {offices[s['office']]}",
                ", ".join(s["roles"]),
            )
            for s in data["staff"]
            if not s["username"].startswith("fin_")
        ]
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for line in _table(("username", "password", "office", "roles"), rows):
            self.stdout.write(line)
        self.stdout.write(
            "各省财务清算账号：fin_<省级代码>"
            "（如 fin_310000 上海市、fin_660000 新疆生产建设兵团），密码同上。"
        )
        self.stdout.write("管理后台 http://127.0.0.1:8000/admin/ 使用 demo_admin 登录。")
