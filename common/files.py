"""Serving a stored document (materials, whitelist evidence) to the one user allowed to open it."""

from django.http import FileResponse

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def document_response(document, *, content_type: str, name: str) -> FileResponse:
    """An attachment named `name` plus the type's extension; never sniffed, never cached."""
    response = FileResponse(
        document,
        content_type=content_type,
        filename=f"{name}.{EXTENSIONS.get(content_type, 'bin')}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
