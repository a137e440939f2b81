"""python manage.py audit_verify — seal what is committed, then check the audit hash chain.

Exit status 0 when every link holds; 1 with the first broken link otherwise."""

from django.core.management.base import BaseCommand, CommandError

from common.audit import audit_seal, audit_verify


class Command(BaseCommand):
    help = "校验操作记录哈希链：先为已提交的记录封链，再逐条核对，报告第一处断链。"

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="只校验，不先封链")

    def handle(self, *args, no_seal: bool = False, **options):
        if not no_seal:
            self.stdout.write(f"封链：{audit_seal()} 条")
        verdict = audit_verify()
        if verdict.broken_seq is not None:
            raise CommandError(
                f"第一处断链：链序号 {verdict.broken_seq}，{verdict.reason}"
                f"（此前 {verdict.checked} 条完好）"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"哈希链完好：{verdict.checked} 条已封链记录，{verdict.unsealed} 条尚未封链。"
            )
        )
