"""The window's new-application form (新建转移申请): what the clerk typed, checked for shape only
(complete, well-formed, files readable and of an allowed kind) so that every gap is reported at
once. The rules of the case — the person, the name, the places, the materials' content, the
routing to a model and where it may be accepted — are `services.application_submit`'s.

Also the small forms of the case page's money actions (基金划转, 确认到账): amounts typed in 元
with at most two decimals, converted exactly to integer fen (Decimal, never float)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from common.errors import ApplicationError
from registry.models import Region, Scheme
from registry.selectors import region_children
from registry.validators import validate_id_number
from transfer import services
from transfer.materials import Upload, upload_check
from transfer.models import ApplicantKind, MaterialKind

# Form key → label, for the error summary at the top of the form.
FIELD_LABELS = {
    "id_number": "社会保障号码",
    "name": "姓名",
    "phone": "联系电话",
    "hukou_address": "户籍地址",
    "in_scheme": "转入险种",
    "in_region": "转入地",
    "manual": "手工转移",
    "outs": "转出地",
    "applicant": "代办信息",
    "applicant_kind": "申请方式",
    "agent_name": "代办人姓名",
    "agent_id_number": "代办人证件号码",
    "power_of_attorney": "授权委托书",
    "materials": "申请材料",
    "material_identity": "本人身份证件",
    "material_agent_identity": "代办人身份证件",
    "material_power_of_attorney": "授权委托书",
    "channel": "受理渠道",
}


def _required(label: str) -> dict[str, str]:
    return {"required": f"请填写{label}。"}


class ApplicationForm(forms.Form):
    id_number = forms.CharField(max_length=24, error_messages=_required("社会保障号码"))
    name = forms.CharField(max_length=64, error_messages=_required("姓名"))
    phone = forms.RegexField(
        regex=r"^[0-9+\-]{7,20}$",
        error_messages={**_required("联系电话"), "invalid": "联系电话格式不正确（7至20位数字）。"},
    )
    hukou_address = forms.CharField(max_length=200, error_messages=_required("户籍地址"))
    in_scheme = forms.ChoiceField(choices=Scheme.choices, error_messages=_required("转入险种"))
    # 手工转移: routed to the traditional model whatever the schemes (services.route).
    manual = forms.BooleanField(required=False)
    applicant_kind = forms.ChoiceField(
        choices=ApplicantKind.choices, error_messages=_required("申请方式")
    )
    agent_name = forms.CharField(max_length=64, required=False)
    agent_id_number = forms.CharField(max_length=24, required=False)
    power_of_attorney = forms.BooleanField(required=False)

    def clean_id_number(self) -> str:
        try:
            return validate_id_number(self.cleaned_data["id_number"])
        except ValidationError as bad:
            raise forms.ValidationError(bad.messages[0]) from None

    def clean(self):
        data = super().clean()
        if data.get("applicant_kind") != ApplicantKind.AGENT:
            return data
        if not data.get("agent_name", "").strip():
            self.add_error("agent_name", "代办须填写代办人姓名。")
        if data.get("agent_id_number"):
            try:
                data["agent_id_number"] = validate_id_number(data["agent_id_number"])
            except ValidationError as bad:
                self.add_error("agent_id_number", f"代办人证件号码：{bad.messages[0]}")
        else:
            self.add_error("agent_id_number", "代办须填写代办人证件号码。")
        if not data.get("power_of_attorney"):
            self.add_error("power_of_attorney", "代办须提供授权委托书，核对原件后请勾选。")
        return data

    @property
    def agent(self) -> services.Agent | None:
        data = self.cleaned_data
        if data["applicant_kind"] != ApplicantKind.AGENT:
            return None
        return services.Agent(
            name=data["agent_name"],
            id_number=data["agent_id_number"],
            power_of_attorney=data["power_of_attorney"],
        )


# --- places: the province → city → county selects ---------------------------------------------


@dataclass(frozen=True)
class PlacePick:
    """What one province → city → county group of selects holds (codes, possibly blank)."""

    province: str = ""
    city: str = ""
    county: str = ""

    @classmethod
    def from_post(cls, data, prefix: str) -> PlacePick:
        def code(level: str) -> str:
            value = data.get(f"{prefix}-{level}", "").strip()
            return value if re.fullmatch(r"[0-9]{6}", value) else ""

        return cls(code("province"), code("city"), code("county"))

    @classmethod
    def of(cls, region: Region | None) -> PlacePick:
        """The selects showing `region` (a municipality's districts hang off the province)."""
        if region is None:
            return cls()
        province = f"{region.code[:2]}0000"
        if region.level == Region.Level.PROVINCE:
            return cls(province)
        if region.level == Region.Level.CITY:
            return cls(province, region.code)
        city = region.parent_id if region.parent_id != province else ""
        return cls(province, city, region.code)

    @property
    def code(self) -> str:
        """The place chosen: the deepest select filled."""
        return self.county or self.city or self.province

    def problem(self, what: str) -> str | None:
        """Why the choice cannot be submitted yet, or None."""
        if not self.code:
            return f"请选择{what}。"
        if region_children(parent=self.code).exists():
            return f"{what}请选择到区县一级。"
        return None


@dataclass(frozen=True)
class OutRow:
    """One outgoing place of the form (添加转出地), `out-<index>-…` in the POST."""

    index: int
    scheme: str
    place: PlacePick

    @property
    def key(self) -> str:
        return f"out-{self.index}"

    @property
    def blank(self) -> bool:
        return not self.place.code


OUT_ROW = re.compile(r"^out-([0-9]{1,3})-scheme$")


def out_rows(data) -> list[OutRow]:
    indexes = sorted({int(m[1]) for key in data if (m := OUT_ROW.match(key))})
    return [
        OutRow(i, data.get(f"out-{i}-scheme", ""), PlacePick.from_post(data, f"out-{i}"))
        for i in indexes
    ]


# --- materials -------------------------------------------------------------------------------

MATERIAL_INPUTS = {
    MaterialKind.IDENTITY: "material_identity",
    MaterialKind.AGENT_IDENTITY: "material_agent_identity",
    MaterialKind.POWER_OF_ATTORNEY: "material_power_of_attorney",
}
AGENT_MATERIALS = {MaterialKind.AGENT_IDENTITY, MaterialKind.POWER_OF_ATTORNEY}


def read_materials(files, *, agent: bool) -> tuple[list[Upload], dict[str, list[str]]]:
    """The uploaded documents (each read up to one byte past the limit) and, per file input,
    what is wrong: missing, too large, or not a PDF/JPEG/PNG by its content."""
    uploads, errors = [], {}
    for kind, field in MATERIAL_INPUTS.items():
        if kind in AGENT_MATERIALS and not agent:
            continue
        file = files.get(field)
        if file is None or not file.size:
            errors[field] = [f"请上传{kind.label}（PDF、JPG或PNG）。"]
            continue
        upload = Upload(kind=kind, name=file.name, content=file.read(services.MAX_UPLOAD_READ))
        try:
            upload_check(upload, field=field)
        except ApplicationError as refused:
            errors.update(refused.fields)
            continue
        uploads.append(upload)
    return uploads, errors


# --- money typed in 元 (the finance actions of the traditional model) ----------------------------

YUAN = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")


class YuanField(forms.Field):
    """An amount typed in 元 — "32160", "32,160.5", "32160.00元" — cleaned to integer fen, exactly:
    the text goes through Decimal, never float; more than two decimals is refused, not rounded."""

    default_error_messages = {
        "required": "请填写金额（元）。",
        "invalid": "金额格式不正确：请填写以元为单位、最多两位小数的金额，如 32160.00。",
    }

    def to_python(self, value) -> int | None:
        text = re.sub(r"[\s,，]", "", str(value or "")).removesuffix("元")
        if text in self.empty_values:
            return None
        if not YUAN.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(Decimal(text) * 100)


def yuan_input(fen: int) -> str:
    """The value an amount input starts with: 3216000 → "32160.00" (no separators)."""
    yuan, cents = divmod(fen, 100)
    return f"{yuan}.{cents:02d}"


class ReceiveForm(forms.Form):
    """确认到账: the amount received, in 元 (the service compares it with the sheet's total)."""

    amount_yuan = YuanField()

    def arguments(self) -> dict:
        return {"amount_fen": self.cleaned_data["amount_yuan"]}


class RemitForm(ReceiveForm):
    """登记基金划转: the amount remitted, in 元, and the bank voucher's number."""

    voucher_no = forms.CharField(
        max_length=64,
        error_messages={
            **_required("银行凭证号"),
            "max_length": "银行凭证号不能超过64个字符。",
        },
    )

    def arguments(self) -> dict:
        return {**super().arguments(), "voucher_no": self.cleaned_data["voucher_no"]}
