"""The Region's charts (issue 26): SVG drawn here that names itself, points to its table, loads nothing."""

from __future__ import annotations

import base64
import re

from gateways.regional_dashboard import Labelled, chart


def svg_of(img: str) -> str:
    found = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', img)
    assert found is not None, img
    return base64.b64decode(found[1]).decode()


def test_a_chart_is_an_svg_image_with_its_title_and_description_that_points_to_the_table_beside_it() -> None:
    table = Labelled(
        "trend", "Ωφελούμενοι ανά μήνα, ανά δήμο", "Δήμος", ["Ιούλιος 2022", "Αύγουστος 2022"],
        [("Δήμος Σοφάδων", ["χ", "102"])], [[None, 102]], "lines",
    )  # fmt: skip
    img = chart(table, "table-trend")
    assert 'alt="Ωφελούμενοι ανά μήνα, ανά δήμο"' in img
    assert 'aria-describedby="table-trend"' in img
    svg = svg_of(img)
    assert svg.startswith("<svg")
    assert 'role="img"' in svg.split(">", 1)[0]
    assert "<title>Ωφελούμενοι ανά μήνα, ανά δήμο</title>" in svg
    assert "<desc>" in svg
    assert "χ" in svg.split("<desc>", 1)[1].split("</desc>", 1)[0]  # the description says where the χ cells are
    assert not re.search(r'(?:href|src)="(?:https?:)?//', svg), "nothing loaded from outside"


def test_a_hidden_cell_draws_no_bar_rather_than_a_zero() -> None:
    shown = Labelled(
        "requests_by_category", "Αιτήματα", "Κατηγορία", ["Α", "Β"], [("ΕΕΕ", ["7", "9"])], [[7, 9]], "bars"
    )
    hidden = Labelled(
        "requests_by_category", "Αιτήματα", "Κατηγορία", ["Α", "Β"], [("ΕΕΕ", ["χ", "9"])], [[None, 9]], "bars"
    )
    zero = Labelled(
        "requests_by_category", "Αιτήματα", "Κατηγορία", ["Α", "Β"], [("ΕΕΕ", ["0", "9"])], [[0, 9]], "bars"
    )

    def bars(table: Labelled) -> int:  # matplotlib draws each bar as a path of its own patch group
        return len(re.findall(r'<g id="patch_', svg_of(chart(table, "t"))))

    assert bars(hidden) == bars(shown) - 1
    assert bars(zero) == bars(shown)  # a zero is a bar of no length: shown as what it is
