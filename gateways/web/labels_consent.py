"""The pages' words for consent (issue 23): (Greek, English), merged into gateways.web.labels.LABELS."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {}
