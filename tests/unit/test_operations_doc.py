"""docs/operations.md documents every setting Kentra reads, with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from infra.settings import Settings

DOC = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    # Digits too: KENTRA_S3_BUCKET and the other S3 settings (issue 23).
    rows = dict(re.findall(r"^\| `(KENTRA_[A-Z0-9_]+)` \| ([^|]+) \|", DOC, re.MULTILINE))
    for name, field in Settings.model_fields.items():
        variable = f"KENTRA_{name.upper()}"
        assert variable in rows, f"{variable} is not in docs/operations.md"
        default = field.default
        if default is None:
            assert rows[variable].startswith("unset"), variable
        elif name == "tenants_file":
            assert "infra/data/tenants.toml" in rows[variable]
        else:
            assert f"`{default}`" in rows[variable], (variable, default, rows[variable])
    documented = set(rows) - {"KENTRA_SECRETS_DIR"}
    assert documented == {f"KENTRA_{n.upper()}" for n in Settings.model_fields}, "a documented setting does not exist"


def test_the_import_layouts_are_documented_column_by_column() -> None:
    from services.importing import LAYOUTS  # noqa: PLC0415 - only this test needs it

    doc = (Path(__file__).parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    for layout in LAYOUTS.values():
        assert f"### `{layout.kind}`" in doc
        for column in layout.columns:
            assert f"| `{column.name}` | {column.el} | {'yes' if column.required else 'no'} |" in doc, column.name
