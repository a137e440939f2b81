"""python manage.py import_registry FILE.json — see registry/imports.py and API.md."""

import json

from django.core.management.base import BaseCommand, CommandError

from registry.imports import RegistryImportError, registry_import


def import_and_report(command: BaseCommand, data, *, operator: str) -> dict:
    """Run the import; print one line of counts per section, or every error and fail."""
    try:
        summary = registry_import(data, operator=operator)
    except RegistryImportError as invalid:
        for error in invalid.errors:
            command.stderr.write(error)
        raise CommandError(invalid.message) from None
    for section, counts in summary.items():
        command.stdout.write(
            f"{section}: 新增 {counts['created']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}"
        )
    return summary


class Command(BaseCommand):
    help = "导入机构、人员、参保关系和缴费月份（幂等；有任何错误则不写入）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON 文件路径（格式见 API.md）")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as missing:
            raise CommandError(f"无法读取文件 {file}：{missing.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as bad:
            raise CommandError(f"{file} 不是有效的 UTF-8 JSON：{bad}") from None
        import_and_report(self, data, operator=f"import_registry {file}")
        self.stdout.write(self.style.SUCCESS("导入完成。"))
