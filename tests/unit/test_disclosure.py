from __future__ import annotations

from services.disclosure import add, suppress


def test_cells_of_one_to_four_people_are_hidden_with_one_more_so_none_can_be_derived() -> None:
    shown = suppress({"female": 2, "male": 7, "non_binary": 0, "unknown": 0, "total": 9})
    assert shown == {
        "female": None,
        "male": None,
        "non_binary": 0,
        "unknown": 0,
        "total": 9,
        "suppressed": ["female", "male"],
    }


def test_cells_of_five_or_more_and_zeros_are_shown() -> None:
    row = {"female": 5, "male": 12, "non_binary": 0, "unknown": 0, "total": 17}
    assert suppress(row) == row


def test_two_small_cells_hide_only_themselves_and_nesting_is_followed() -> None:
    doc = {"per_month": [{"month": "2024-05", "female": 3, "male": 1, "non_binary": 0, "unknown": 9, "total": 13}]}
    assert suppress(doc)["per_month"][0]["suppressed"] == ["female", "male"]
    assert suppress(doc)["per_month"][0]["unknown"] == 9


def test_consolidation_adds_matching_rows_and_keeps_the_rest() -> None:
    a = {"from": "2024-01-01", "requests": {"total": 3, "by_category": [{"category": "gmi", "total": 3}]}}
    b = {
        "from": "2024-01-01",
        "requests": {"total": 2, "by_category": [{"category": "gmi", "total": 1}, {"category": "other", "total": 1}]},
    }
    assert add(a, b) == {
        "from": "2024-01-01",
        "requests": {"total": 5, "by_category": [{"category": "gmi", "total": 4}, {"category": "other", "total": 1}]},
    }
