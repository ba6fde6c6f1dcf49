"""How a document's file is handed out (issue 23), by the API and the pages alike: as an attachment
under a safe name (RFC 6266 with RFC 5987 for Greek), of the type found from its bytes, never sniffed,
never cached."""

from __future__ import annotations

import re
from urllib.parse import quote

from services.documents import Download


def ascii_fallback(name: str) -> str:
    """The name for clients that read only ``filename=``: ASCII letters, digits, ``.-_``, nothing else."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "document"
    return stem[-100:]


def download_headers(download: Download) -> dict[str, str]:
    name = download.filename
    disposition = f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        # A PDF opened from here runs nothing of this site's: no script, no frame, no form.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
