"""Every write of the whitelist (DESIGN.md §7, API.md "Whitelist", the briefing's section 05).

An entry is made offline — at a window — by an admin of the benefit province, with its
evidence, for an accepted reason; "个人放弃转移" never is one. It counts once a supervisor other
than the maker approves it, until it is revoked. Each step is logged (django-fsm-log) and
audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import fsm
from common.audit import audit_record
from common.errors import Conflict, NotAllowed, NotFound, invalid
from common.masking import mask_id_number
from common.scope import scope_for
from registry.models import ModuleSwitch, Person
from registry.services import module_ensure_open
from registry.validators import validate_id_number
from transfer.materials import document_check
from transfer.models import RefuseCode, Status, TransferLeg
from transfer.services import next_number
from whitelist import selectors
from whitelist.models import EntryStatus, Reason, WhitelistEntry

WAIVER_RULE = "受理“白名单维护”业务申请时，不得以“个人放弃转移”为由受理（需办理转移或者清算）。"
WAIVER_WORDS = ("PERSONAL_WAIVER", "放弃")
SYSTEM = {"office": "", "office_name": ""}


@dataclass(frozen=True)
class Evidence:
    """The scanned document: its file name as uploaded, and its bytes."""

    name: str
    content: bytes


def _refuse_waiver(reason: str, evidence: str) -> None:
    """个人放弃转移 is never accepted — as the reason, nor dressed up in the evidence text."""
    if reason == "PERSONAL_WAIVER" or any(word in evidence for word in WAIVER_WORDS):
        raise invalid("reason", WAIVER_RULE, "PERSONAL_WAIVER_REFUSED")


def _refused_leg(transfer_no: str, person: Person, account) -> TransferLeg:
    """The outgoing province's refusal: this person's leg out of this account, refused because
    there were no records to transfer."""
    leg = (
        TransferLeg.objects.select_related("application")
        .filter(transfer_no=transfer_no.strip())
        .first()
    )
    if leg is None:
        raise invalid("transfer_no", f"未找到转移编号为“{transfer_no}”的业务。")
    if leg.application.person_id != person.pk or not (
        leg.out_province_id == account.province_id and leg.out_scheme == account.scheme
    ):
        raise invalid(
            "transfer_no", f"转移业务 {leg.transfer_no} 不是该参保人员从该参保关系转出的业务。"
        )
    if leg.status != Status.REFUSED or leg.refuse_code != RefuseCode.NO_TRANSFERABLE_RECORDS:
        raise invalid(
            "transfer_no",
            f"转移业务 {leg.transfer_no} 不是转出地以“无可转移的缴费记录”不予受理的业务。",
        )
    return leg


@transaction.atomic
def entry_make(
    *,
    actor,
    id_number: str,
    region: str,
    scheme: str,
    reason: str,
    evidence: str,
    evidence_file: Evidence | None,
    channel: str,
    transfer_no: str = "",
) -> WhitelistEntry:
    """白名单维护: the benefit province's admin, at the window, asks for one other-province account
    to be left out of the person's retirement pre-check."""
    module_ensure_open(ModuleSwitch.Module.WHITELIST)
    scope = scope_for(actor)
    scope.require("whitelist.make")
    evidence = evidence.strip()
    _refuse_waiver(reason, evidence)
    if channel != "window":
        raise invalid("channel", "“白名单维护”业务仅限线下（窗口）办理。", "WINDOW_ONLY")
    if reason not in Reason.values:
        raise invalid("reason", "原因应为已清算、已转移或外省拒绝转出（无需要转移的缴费记录）。")
    if not evidence or len(evidence) > 500:
        raise invalid("evidence", "请说明证明材料及其出具机构（不超过500字）。")
    if evidence_file is None:
        raise invalid("evidence_file", "请上传证明材料的扫描件。")
    content_type = document_check(evidence_file.name, evidence_file.content, "evidence_file")
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as bad:
        raise invalid("id_number", bad.messages[0], bad.code) from None
    person = Person.objects.filter(id_number=id_number).first()
    if person is None:
        raise invalid("id_number", "未找到该社会保障号码对应的参保人员。", "UNKNOWN_PERSON")
    benefit = scope.province
    finding = next(
        (
            f
            for f in selectors.precheck(person=person, benefit_province=benefit).findings
            if region in (f.account.region_id, f.account.province_id) and f.account.scheme == scheme
        ),
        None,
    )
    if finding is None:
        raise invalid(
            "region",
            "该参保人员在此地没有影响本省退休预校验的外省参保关系（须为外省、未转出且有缴费记录）。",
            "NOT_A_FINDING",
        )
    account = finding.account
    refused_leg = None
    if reason == Reason.OUT_REFUSED_NO_RECORDS:
        if not transfer_no.strip():
            raise invalid("transfer_no", "以“外省拒绝转出”为由须填写被拒绝的转移编号。")
        refused_leg = _refused_leg(transfer_no, person, account)
    elif transfer_no.strip():
        raise invalid("transfer_no", "只有以“外省拒绝转出”为由时才填写转移编号。")
    if finding.entry is not None or finding.pending is not None:
        existing = finding.entry or finding.pending
        raise Conflict(
            f"该参保关系已有白名单 {existing.entry_no}（{existing.get_status_display()}）。",
            code="ALREADY_LISTED",
        )
    today = timezone.localdate()
    entry = WhitelistEntry(
        entry_no=f"BM{benefit}-{today:%Y%m%d}-{next_number(f'BM{benefit}', today):05d}",
        person=person,
        account=account,
        benefit_province_id=benefit,
        reason=reason,
        evidence=evidence,
        evidence_content_type=content_type,
        evidence_name=evidence_file.name[:255],
        refused_leg=refused_leg,
        channel=channel,
        office=actor.staff.office,
        maker=actor,
    )
    try:
        with transaction.atomic():
            entry.evidence_file.save("evidence", ContentFile(evidence_file.content), save=False)
            entry.save()
    except IntegrityError:  # another entry for the account got in first
        entry.evidence_file.delete(save=False)
        raise Conflict("该参保关系已有白名单，请刷新后查看。", code="ALREADY_LISTED") from None
    audit_record(
        actor=actor,
        action="whitelist.make",
        target=entry,
        entry_no=entry.entry_no,
        id_number=mask_id_number(id_number),
        account_region=account.region_id,
        reason=reason,
    )
    return entry


def _lock_entry(entry_no: str) -> WhitelistEntry:
    entry = WhitelistEntry.objects.select_for_update().filter(entry_no=entry_no).first()
    if entry is None:
        raise NotFound(f"未找到编号为“{entry_no}”的白名单。")
    return entry


def _require_status(entry: WhitelistEntry, status: str) -> None:
    if entry.status != status:
        raise Conflict(
            f"该白名单当前状态为“{EntryStatus(entry.status).label}”，不能办理此操作。",
            code="WRONG_STATE",
            extra={"status": entry.status},
        )


def _check(actor, entry_no: str) -> WhitelistEntry:
    module_ensure_open(ModuleSwitch.Module.WHITELIST)
    entry = _lock_entry(entry_no)
    scope_for(actor).require("whitelist.check", [entry.benefit_province_id])
    if entry.maker_id == actor.pk:
        raise NotAllowed("经办人不能审核本人经办的白名单（须由另一名审核人员审核）。")
    _require_status(entry, EntryStatus.PENDING)
    return entry


@transaction.atomic
def entry_approve(*, actor, entry_no: str) -> WhitelistEntry:
    """审核通过: a supervisor of the benefit province other than the maker; the entry counts."""
    entry = _check(actor, entry_no)
    fsm.transition(
        entry, "approve", actor, "审核通过", system=SYSTEM, checker=actor, at=timezone.now()
    )
    return entry


@transaction.atomic
def entry_reject(*, actor, entry_no: str, note: str) -> WhitelistEntry:
    if not note.strip():
        raise invalid("note", "审核不通过须填写原因。")
    entry = _check(actor, entry_no)
    fsm.transition(
        entry,
        "reject",
        actor,
        note.strip(),
        system=SYSTEM,
        checker=actor,
        at=timezone.now(),
        reason=note.strip(),
    )
    return entry


@transaction.atomic
def entry_revoke(*, actor, entry_no: str, reason: str) -> WhitelistEntry:
    """撤销: the entry no longer counts, and the account is a finding of the pre-check again."""
    module_ensure_open(ModuleSwitch.Module.WHITELIST)
    if not reason.strip():
        raise invalid("reason", "撤销须填写原因。")
    entry = _lock_entry(entry_no)
    scope_for(actor).require("whitelist.revoke", [entry.benefit_province_id])
    _require_status(entry, EntryStatus.APPROVED)
    fsm.transition(entry, "revoke", actor, reason.strip(), system=SYSTEM, reason=reason.strip())
    return entry


@transaction.atomic
def entry_evidence_open(*, actor, entry_no: str):
    """The scanned evidence, opened by whoever may see the entry: (entry, open file), and the
    opening recorded with who and when."""
    entry = selectors.entry_get(scope=scope_for(actor), entry_no=entry_no)
    try:
        document = entry.evidence_file.open("rb")
    except (OSError, ValueError):  # gone from storage, or never stored
        raise NotFound("该白名单的证明材料文件不存在，请联系系统管理员。") from None
    audit_record(
        actor=actor, action="whitelist.evidence.open", target=entry, entry_no=entry.entry_no
    )
    return entry, document
