"""Uploaded materials (身份证件、授权委托书): PDF, JPEG or PNG only, at most 10 MB, recognised by
their content, never by their name; stored under a random name (transfer.models.material_path)."""

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


def upload_check(upload: Upload, field: str = "materials") -> str:
    """Refuse what is not an allowed document; return its real content type."""
    if upload.kind not in MaterialKind.values:
        message = f"材料类型“{upload.kind}”无效。"
        raise ApplicationError(message, fields={field: [message]})
    if len(upload.content) > MAX_BYTES:
        message = f"“{upload.name}”超过10MB，请压缩后再上传。"
        raise ApplicationError(message, code="TOO_LARGE", fields={field: [message]})
    content_type = sniff(upload.content)
    if content_type is None:
        message = f"“{upload.name}”不是PDF、JPEG或PNG文件（按文件内容识别）。"
        raise ApplicationError(message, code="UNSUPPORTED_FILE", fields={field: [message]})
    return content_type


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
