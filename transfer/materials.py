"""Uploaded documents — materials (身份证件、授权委托书) and the whitelist's evidence: PDF, JPEG or
PNG only, at most 10 MB, recognised by their content, never by their name; stored under a random
name (transfer.models.material_path, whitelist.models.evidence_path)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile

from common.errors import ApplicationError
from transfer.models import Material, MaterialKind

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


@dataclass(frozen=True)
class Upload:
    kind: str
    name: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The content type by the file's first bytes, or None for anything else."""
    for signature, content_type in SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def document_check(name: str, content: bytes, field: str) -> str:
    """Refuse a file that is not an allowed document (any upload of the system: materials,
    whitelist evidence); return its real content type."""
    if len(content) > MAX_BYTES:
        message = f"“{name}”超过10MB，请压缩后再上传。"
        raise ApplicationError(message, code="TOO_LARGE", fields={field: [message]})
    content_type = sniff(content)
    if content_type is None:
        message = f"“{name}”不是PDF、JPEG或PNG文件（按文件内容识别）。"
        raise ApplicationError(message, code="UNSUPPORTED_FILE", fields={field: [message]})
    return content_type


def upload_check(upload: Upload, field: str = "materials") -> str:
    """Refuse what is not an allowed material; return its real content type."""
    if upload.kind not in MaterialKind.values:
        message = f"材料类型“{upload.kind}”无效。"
        raise ApplicationError(message, fields={field: [message]})
    return document_check(upload.name, upload.content, field)


def material_store(*, application, upload: Upload, actor, field: str = "materials") -> Material:
    """Check and store one upload; a refusal names `field`, the input the file came in."""
    content_type = upload_check(upload, field)
    material = Material(
        application=application,
        kind=upload.kind,
        content_type=content_type,
        size=len(upload.content),
        original_name=upload.name[:255],
        uploaded_by=actor,
    )
    material.file.save("upload", ContentFile(upload.content), save=False)
    material.save()
    return material
