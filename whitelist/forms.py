"""The window's 白名单维护 form (DESIGN.md §7, the briefing's section 05): which other-province
account, the reason, the evidence described and scanned. Here only the shape of what was typed is
checked, so that every gap shows at once; the rules — 个人放弃转移 never, the refused transfer of
OUT_REFUSED_NO_RECORDS, one entry per account, the admin's province — are
`whitelist.services.entry_make`'s, and its refusals come back as this form's errors."""

from __future__ import annotations

from django import forms

from common.errors import ApplicationError
from transfer.materials import document_check
from transfer.services import MAX_UPLOAD_READ
from whitelist.models import Reason
from whitelist.services import Evidence

# Form key → label, for the error summary at the top of the form (in the order of the form).
FIELD_LABELS = {
    "id_number": "社会保障号码",
    "account": "外省参保关系",
    "reason": "原因",
    "transfer_no": "被拒绝的转移编号",
    "evidence": "证明材料说明",
    "evidence_file": "证明材料扫描件",
}
# The service's field names → the form's (an account is named by its place and scheme).
SERVICE_FIELDS = {"region": "account", "scheme": "account"}

# What the form offers. "个人放弃转移" is not among them; any other reason posted goes to
# the service, which refuses it with the rule's own wording.
REASONS = Reason.choices


def account_key(region: str, scheme: str) -> str:
    """One radio value per account: its place and scheme ("220102:enterprise")."""
    return f"{region}:{scheme}"


class EntryForm(forms.Form):
    account = forms.ChoiceField(
        error_messages={
            "required": "请选择要办理白名单维护的外省参保关系。",
            "invalid_choice": "请从预校验识别到的外省参保关系中选择。",
        }
    )
    reason = forms.CharField(
        max_length=32,
        error_messages={
            "required": "请选择办理白名单维护的原因。",
            "max_length": "原因应为已清算、已转移或外省拒绝转出（无需要转移的缴费记录）。",
        },
    )
    transfer_no = forms.CharField(
        required=False,
        max_length=52,
        error_messages={"max_length": "转移编号不能超过52个字符。"},
    )
    evidence = forms.CharField(
        max_length=500,
        error_messages={
            "required": "请说明证明材料及其出具机构。",
            "max_length": "证明材料说明不能超过500字。",
        },
    )
    evidence_file = forms.FileField(
        error_messages={
            "required": "请上传证明材料的扫描件（PDF、JPG或PNG，不超过10MB）。",
            "empty": "上传的证明材料是空文件，请重新选择。",
            "invalid": "请上传证明材料的扫描件（PDF、JPG或PNG，不超过10MB）。",
        }
    )

    def __init__(self, data=None, files=None, *, accounts: list[str]) -> None:
        super().__init__(data, files)
        self.fields["account"].choices = [(key, key) for key in accounts]

    def clean_evidence_file(self) -> Evidence:
        """The scanned document, read up to one byte past the limit and recognised by its
        content (the service checks it again)."""
        file = self.cleaned_data["evidence_file"]
        evidence = Evidence(name=file.name, content=file.read(MAX_UPLOAD_READ))
        try:
            document_check(evidence.name, evidence.content, "evidence_file")
        except ApplicationError as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        return evidence

    def place(self) -> tuple[str, str]:
        region, _, scheme = self.cleaned_data["account"].partition(":")
        return region, scheme
