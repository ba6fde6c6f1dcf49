"""The pages' words for documents (issue 23): (Greek, English), merged into gateways.web.labels.LABELS."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {}
