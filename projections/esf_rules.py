"""The ESF indicators of each programme period, one definition each (docs/indicators.md has the
regulations' wording and how Kentra reads it).

Each rule reads one participant row of ``projections.esf_queries.participants``: the entry data of
the operation (the intake's, or a later ``OperationEntered``'s), the status on leaving and six months
later. ``special`` names the special-category answers (GDPR Art. 9) the rule reads: a participant the
rule would count were a refused answer "yes" is counted under ``refused`` for that code, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["output", "immediate_result", "longer_term_result", "most_deprived"]
Rule = Callable[[dict[str, Any]], bool]

UNEMPLOYED = ("unemployed", "long_term_unemployed")
INACTIVE = ("inactive", "inactive_in_education")
EMPLOYED = ("employed", "self_employed")
SPECIAL = ("disability", "minority", "other_disadvantage")


@dataclass(frozen=True)
class Indicator:
    """One common indicator: its code, the regulation's label, what it counts, and how."""

    code: str
    label: str
    kind: Kind
    rule: Rule
    special: tuple[str, ...] = ()

    def counts(self, person: dict[str, Any]) -> bool:
        return self.rule(person)

    def refused(self, person: dict[str, Any]) -> bool:
        """Not counted, but would be if the refused special-category answers were "yes"."""
        refused = [name for name in self.special if person.get(name) == "refused"]
        if not refused or self.rule(person):
            return False
        return self.rule({**person, **dict.fromkeys(refused, "yes")})


# --------------------------------------------------------------------------- entry (outputs)
def unemployed(p: dict[str, Any]) -> bool:
    return p["employment_status"] in UNEMPLOYED


def inactive(p: dict[str, Any]) -> bool:
    return p["employment_status"] in INACTIVE


def employed_at_entry(p: dict[str, Any]) -> bool:
    return p["employment_status"] in EMPLOYED


def migrant_or_minority(p: dict[str, Any]) -> bool:
    """CO15: migrants, participants with a foreign background, minorities (including Roma)."""
    return bool(p["foreign_background"] or p["third_country_national"] or p["minority"] == "yes")


def disadvantaged(p: dict[str, Any]) -> bool:
    """2014-2020 "disadvantaged participants" of CR05 and CR09: counted in CO15, CO16 or CO17 (the
    Commission's guidance: the participants counted in at least one of those three outputs)."""
    return migrant_or_minority(p) or p["disability"] == "yes" or p["other_disadvantage"] == "yes"


# --------------------------------------------------------------------------- leaving and after
def job_searching(p: dict[str, Any]) -> bool:
    return bool(p["job_searching"])


def in_education(p: dict[str, Any]) -> bool:
    return bool(p["in_education_or_training"])


def qualified(p: dict[str, Any]) -> bool:
    return bool(p["qualification_gained"])


def employed_on_leaving(p: dict[str, Any]) -> bool:
    return bool(p["employed"])


def any_result_on_leaving(p: dict[str, Any]) -> bool:
    return job_searching(p) or in_education(p) or qualified(p) or employed_on_leaving(p)


def employed_after(p: dict[str, Any]) -> bool:
    return bool(p["employed_after_six_months"])


def improved_after(p: dict[str, Any]) -> bool:
    return bool(p["improved_after_six_months"])


def _output(code: str, label: str, rule: Rule, *special: str) -> Indicator:
    return Indicator(code, label, "output", rule, special)


def _on_leaving(code: str, label: str, rule: Rule, *special: str) -> Indicator:
    return Indicator(code, label, "immediate_result", rule, special)


def _after(code: str, label: str, rule: Rule, *special: str) -> Indicator:
    return Indicator(code, label, "longer_term_result", rule, special)


def _deprived(code: str, label: str, rule: Rule, *special: str) -> Indicator:
    return Indicator(code, label, "most_deprived", rule, special)


ESF_2014_2020_RULES: tuple[Indicator, ...] = (
    _output("CO01", "unemployed, including long-term unemployed", unemployed),
    _output("CO02", "long-term unemployed", lambda p: p["employment_status"] == "long_term_unemployed"),
    _output("CO03", "inactive", inactive),
    _output("CO04", "inactive, not in education or training", lambda p: p["employment_status"] == "inactive"),
    _output("CO05", "employed, including self-employed", employed_at_entry),
    _output("CO06", "below 25 years of age", lambda p: p["age_at_entry"] < 25),
    _output("CO07", "above 54 years of age", lambda p: p["age_at_entry"] > 54),
    _output(
        "CO08",
        "above 54 years of age who are unemployed, including long-term unemployed, or inactive not in "
        "education or training",
        lambda p: p["age_at_entry"] > 54 and p["employment_status"] in (*UNEMPLOYED, "inactive"),
    ),
    _output(
        "CO09", "with primary (ISCED 1) or lower secondary education (ISCED 2)", lambda p: p["isced_level"] in (1, 2)
    ),
    _output(
        "CO10",
        "with upper secondary (ISCED 3) or post-secondary education (ISCED 4)",
        lambda p: p["isced_level"] in (3, 4),
    ),
    _output("CO11", "with tertiary education (ISCED 5 to 8)", lambda p: p["isced_level"] >= 5),
    _output(
        "CO15",
        "migrants, participants with a foreign background, minorities (including marginalised communities "
        "such as the Roma)",
        migrant_or_minority,
        "minority",
    ),
    _output("CO16", "participants with disabilities", lambda p: p["disability"] == "yes", "disability"),
    _output("CO17", "other disadvantaged", lambda p: p["other_disadvantage"] == "yes", "other_disadvantage"),
    _output("CO18", "homeless or affected by housing exclusion", lambda p: bool(p["homeless"])),
    _output("CO19", "from rural areas", lambda p: p["residence_area"] == "rural"),
    _on_leaving(
        "CR01",
        "inactive participants engaged in job searching upon leaving",
        lambda p: inactive(p) and job_searching(p),
    ),
    _on_leaving("CR02", "participants in education/training upon leaving", in_education),
    _on_leaving("CR03", "participants gaining a qualification upon leaving", qualified),
    _on_leaving("CR04", "participants in employment, including self-employment, upon leaving", employed_on_leaving),
    _on_leaving(
        "CR05",
        "disadvantaged participants engaged in job searching, education/training, gaining a qualification, in "
        "employment, including self-employment, upon leaving",
        lambda p: disadvantaged(p) and any_result_on_leaving(p),
        *SPECIAL,
    ),
    _after("CR06", "participants in employment, including self-employment, six months after leaving", employed_after),
    _after(
        "CR07",
        "participants with an improved labour market situation six months after leaving",
        lambda p: employed_at_entry(p) and improved_after(p),
    ),
    _after(
        "CR08",
        "participants above 54 years of age in employment, including self-employment, six months after leaving",
        lambda p: p["age_at_entry"] > 54 and employed_after(p),
    ),
    _after(
        "CR09",
        "disadvantaged participants in employment, including self-employment, six months after leaving",
        lambda p: disadvantaged(p) and employed_after(p),
        *SPECIAL,
    ),
)


def _teba(p: dict[str, Any]) -> bool:
    return True


ESF_2021_2027_RULES: tuple[Indicator, ...] = (
    _output("EECO01", "total number of participants", lambda p: True),
    _output("EECO02", "unemployed, including long-term unemployed", unemployed),
    _output("EECO03", "long-term unemployed", lambda p: p["employment_status"] == "long_term_unemployed"),
    _output("EECO04", "inactive", inactive),
    _output("EECO05", "employed, including self-employed", employed_at_entry),
    _output("EECO06", "children below 18 years of age", lambda p: p["age_at_entry"] < 18),
    _output("EECO07", "young people aged 18-29 years", lambda p: 18 <= p["age_at_entry"] <= 29),
    _output("EECO08", "participants aged 55 years and above", lambda p: p["age_at_entry"] >= 55),
    _output("EECO09", "with lower secondary education or less (ISCED 0-2)", lambda p: p["isced_level"] <= 2),
    _output(
        "EECO10",
        "with upper secondary (ISCED 3) or post-secondary education (ISCED 4)",
        lambda p: p["isced_level"] in (3, 4),
    ),
    _output("EECO11", "with tertiary education (ISCED 5 to 8)", lambda p: p["isced_level"] >= 5),
    _output("EECO12", "participants with disabilities", lambda p: p["disability"] == "yes", "disability"),
    _output("EECO13", "third-country nationals", lambda p: bool(p["third_country_national"])),
    _output("EECO14", "participants with a foreign background", lambda p: bool(p["foreign_background"])),
    _output(
        "EECO15",
        "minorities (including marginalised communities such as Roma)",
        lambda p: p["minority"] == "yes",
        "minority",
    ),
    _output("EECO16", "homeless or affected by housing exclusion", lambda p: bool(p["homeless"])),
    _output("EECO17", "participants from rural areas", lambda p: p["residence_area"] == "rural"),
    _on_leaving("EECR01", "participants engaged in job searching upon leaving", job_searching),
    _on_leaving("EECR02", "participants in education or training upon leaving", in_education),
    _on_leaving("EECR03", "participants gaining a qualification upon leaving", qualified),
    _on_leaving("EECR04", "participants in employment, including self-employment, upon leaving", employed_on_leaving),
    _after("EECR05", "participants in employment, including self-employment, six months after leaving", employed_after),
    # Annex II: end recipients of ΤΕΒΑ food support in the period (projections/esf_queries.py).
    _deprived("EMCR01", "end recipients receiving food support", _teba),
    _deprived("EMCR02", "children below 18 years of age", lambda p: p["age_at_entry"] < 18),
    _deprived("EMCR03", "young people aged 18-29 years", lambda p: 18 <= p["age_at_entry"] <= 29),
    _deprived("EMCR04", "end recipients aged 65 years and above", lambda p: p["age_at_entry"] >= 65),
    _deprived("EMCR05", "end recipients with disabilities", lambda p: p["disability"] == "yes", "disability"),
    _deprived("EMCR06", "third-country nationals", lambda p: bool(p["third_country_national"])),
    _deprived(
        "EMCR07",
        "end recipients with a foreign background, minorities (including marginalised communities such as Roma)",
        lambda p: bool(p["foreign_background"] or p["minority"] == "yes"),
        "minority",
    ),
    _deprived("EMCR08", "homeless or affected by housing exclusion", lambda p: bool(p["homeless"])),
)

RULES: dict[str, tuple[Indicator, ...]] = {"2014-2020": ESF_2014_2020_RULES, "2021-2027": ESF_2021_2027_RULES}
