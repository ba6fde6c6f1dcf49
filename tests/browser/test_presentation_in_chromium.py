"""Greek presentation, phones and keyboards in a real browser: dates dd/mm/yyyy even in an English browser,
the focus on the error summary after a refused form, forms that stack on a phone, a focus ring that
meets WCAG 2.2's 3:1 against both the element and the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, Site, Tab


@pytest.fixture
def english_browser_tab(site: Site, browser: Any, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab of a browser set to American English, whose own date inputs would show mm/dd/yyyy."""
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Tab(site, page, request.node.name)
    context.close()


def rgb(css: str) -> tuple[int, int, int]:
    found = re.search(r"rgba?\((\d+), (\d+), (\d+)", css)
    assert found, css
    return int(found[1]), int(found[2]), int(found[3])


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG's relative luminance."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  let back = e.parentElement, colour = 'rgba(0, 0, 0, 0)';
  while (back && (colour = getComputedStyle(back).backgroundColor) === 'rgba(0, 0, 0, 0)') back = back.parentElement;
  return {tag: e.tagName, outline: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle,
          offset: parseFloat(s.outlineOffset), shadow: s.boxShadow,
          page: back ? colour : 'rgb(255, 255, 255)',
          element: s.backgroundColor === 'rgba(0, 0, 0, 0)' ? (back ? colour : 'rgb(255, 255, 255)')
                                                            : s.backgroundColor};
}"""


def test_a_date_is_shown_and_typed_dd_mm_yyyy_in_an_english_browser(english_browser_tab: Tab) -> None:
    tab, page = english_browser_tab, english_browser_tab.page
    tab.sign_in("caseworker")
    tab.go("/t/sofades/record/activity")
    date_input = page.get_by_role("textbox", name=re.compile("^Ημερομηνία"))
    assert date_input.get_attribute("type") == "text"  # the browser's own date input would follow en-US
    assert date_input.get_attribute("inputmode") == "numeric"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", date_input.input_value())  # today, as staff write it
    expect(page.get_by_text("ηη/μμ/εεεε")).to_be_visible()
    page.get_by_label("Είδος δράσης").select_option("networking_meeting")
    date_input.fill("2024/05/02")  # a shape no Greek office writes
    page.get_by_role("button", name="Καταχώριση").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()  # the keyboard and the screen reader start at what went wrong
    assert "Γράψτε την ημερομηνία ως ηη/μμ/εεεε" in summary.inner_text()
    assert date_input.input_value() == "2024/05/02"  # kept as typed
    assert date_input.get_attribute("aria-invalid") == "true"
    tab.accessible("refused-date")
    tab.shot("refused-date")
    date_input.fill("2/5/2024")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(r"/t/sofades/people\?recorded=activity"))
    expect(page.get_by_role("status")).to_have_text("Η δράση καταχωρίστηκε.")


def test_after_a_refused_form_the_focus_is_on_the_error_summary_whose_links_lead_to_the_fields(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("caseworker")
    tab.go("/t/sofades/record/activity")
    page.get_by_role("textbox", name=re.compile("^Ημερομηνία")).fill("")
    page.get_by_role("button", name="Καταχώριση").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is the summary's first link, not the top of the page
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first is not None
    assert first.startswith("#f-")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == first[1:]


def test_on_a_phone_the_forms_stack_and_no_page_scrolls_sideways(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("coordinator")
    for path in ("/home", "/t/sofades/dashboard", "/t/sofades/people", "/t/sofades/intake", "/t/sofades/caseload"):
        tab.go(path)
        tab.at("phone")
        assert not tab.scrolls_sideways(), path
        tab.at("desktop")
    tab.go("/t/sofades/dashboard")
    tab.at("phone")
    start, end = page.locator("#from").bounding_box(), page.locator("#to").bounding_box()
    assert start is not None
    assert end is not None
    assert end["y"] >= start["y"] + start["height"]  # one under the other, not side by side
    assert end["x"] + end["width"] <= 390
    tab.shot("dashboard-on-a-phone")


@pytest.mark.parametrize("path", ["/", "/t/sofades/dashboard"])
def test_the_focus_ring_has_3_to_1_against_the_element_and_the_page(tab: Tab, path: str) -> None:
    page = tab.page
    if path != "/":
        tab.sign_in("coordinator")
    tab.go(path)
    seen: set[str] = set()
    for _ in range(40):  # every stop of the keyboard until a link, a field and a button were each checked
        page.keyboard.press("Tab")
        style: Any = page.evaluate(FOCUS_STYLE)
        assert style["style"] != "none", style
        assert style["width"] >= 2, style
        ring, inner = rgb(style["outline"]), rgb(style["shadow"])
        page_colour, element = rgb(style["page"]), rgb(style["element"])
        # Two colours (WCAG technique C40): the outer ring stands out from the page, the inner one from the element.
        assert contrast(ring, page_colour) >= 3, style
        assert contrast(inner, element) >= 3 or contrast(ring, element) >= 3, style
        assert style["offset"] >= 0, style
        assert "0px 0px 0px" in style["shadow"], style
        seen.add(style["tag"])
        if {"A", "INPUT", "BUTTON"} <= seen:
            break
    assert {"A", "INPUT", "BUTTON"} <= seen
