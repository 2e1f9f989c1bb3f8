"""The DPIA as a document: the JSON export and the PDF (WeasyPrint, styled by ``data/dpia.css``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from custos.oversight.dpia.models import DpiaVersion, Risk

FORMAT = "custos-dpia-v1"
STYLESHEET = Path(__file__).resolve().parent.parent / "data" / "dpia.css"

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def risks_of(version: DpiaVersion) -> list[dict[str, Any]]:
    """The register embedded at sign-off; for a draft, the register as it stands now."""
    if version.is_signed_off:
        return list(version.risks)
    return [r.as_dict() for r in Risk.objects.order_by("code")]


def export_document(version: DpiaVersion) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version.number,
        "status": version.status,
        "generated_at": version.generated_at.isoformat(),
        "generated_by": version.generated_by.username,
        "content_sha256": version.content_sha256,
        "signed_off_at": version.signed_off_at.isoformat() if version.signed_off_at else None,
        "signed_off_by": version.signed_off_by.username if version.signed_off_by else None,
        "sign_off_comments": version.sign_off_comments,
        "content": version.content,
        "risks": risks_of(version),
    }


def page_context(version: DpiaVersion) -> dict[str, Any]:
    return {"version": version, "c": version.content, "risks": risks_of(version)}


def pdf(version: DpiaVersion) -> bytes:
    import weasyprint  # noqa: PLC0415 (loading pango is slow; only exports need it)

    html = render_to_string("oversight/dpia/pdf.html", page_context(version))
    css = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    out: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return out
