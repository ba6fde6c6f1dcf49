"""ESF participants built by hand through the casework service, and every cell of the delivery they
should and should not count in, in both of Sofades' operations (2014-2020 until 2023-12-31, 2021-2027
from 2024-01-01), on SQLite and PostgreSQL.

Each person below says, per document, the codes they count in; every other cell of that document
must not hold them. Cells are checked by their members (projections.cells.members), so a person
counted in the right figure for the wrong reason shows too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.identifiers import make_amka
from projections.cells import figure, flatten_esf, members
from projections.esf_queries import esf_delivery
from projections.queries import esf_indicators
from projections.replay import replay
from services.privacy import subject_access
from tests.conftest import StoreUnderTest, command, intake, open_request

TODAY = date(2025, 6, 30)
Y2023 = ("2014-2020", date(2023, 1, 1), date(2023, 12, 31))
Y2024 = ("2021-2027", date(2024, 1, 1), date(2024, 12, 31))
H2025 = ("2021-2027", date(2025, 1, 1), date(2025, 6, 30))
DOCUMENTS = (Y2023, Y2024, H2025)
NOTHING = {"job_searching": False, "in_education_or_training": False, "qualification_gained": False, "employed": False}
NO = {"disability": "no", "minority": "no", "other_disadvantage": "no"}


@dataclass
class Person:
    """A participant and the codes they count in, per document (``participants`` for the total)."""

    name: str
    gender: str
    counts: dict[tuple[str, date, date], set[str]] = field(default_factory=dict)
    id: UUID | None = None


def profile(**fields: Any) -> dict[str, Any]:
    base = {
        "employment_status": "unemployed",
        "isced_level": 3,
        "household_situation": "lives_alone",
        "residence_area": "urban",
        "foreign_background": False,
        "third_country_national": False,
        "homeless_or_housing_exclusion": False,
    }
    return {**base, **fields}


class Recorder:
    """Hand-built casework through the service's commands, one person at a time."""

    def __init__(self, store: StoreUnderTest) -> None:
        self.store = store
        self.serial = 0

    def run(self, **fields: Any) -> UUID:
        return self.store.casework.execute(command(**fields)).entry_id

    def register(self, person: Person, on: str, born: str, special: dict[str, str], **answers: Any) -> UUID:
        self.serial += 1
        birth = date.fromisoformat(born)
        cmd = intake(
            occurred_on=on,
            structure=answers.pop("structure", "centre"),
            personal__birth_date=born,
            personal__amka=make_amka(birth, 7000 + self.serial),
            profile={"gender": person.gender, **profile(**answers)},
            special=special,
        )
        person.id = self.store.casework.execute(cmd).entry_id
        return person.id

    def request(self, person: Person, on: str, category: str = "gmi") -> UUID:
        assert person.id is not None
        return self.store.casework.execute(open_request(person.id, occurred_on=on, category=category)).entry_id

    def leave(self, person: Person, on: str, **status: bool) -> None:
        self.run(
            command="leave_operation",
            beneficiary_id=str(person.id),
            occurred_on=on,
            status={**NOTHING, **status},
        )

    def follow_up(self, person: Person, operation: str, on: str, *, employed: bool, improved: bool) -> None:
        self.run(
            command="record_long_term_result",
            beneficiary_id=str(person.id),
            operation=operation,
            occurred_on=on,
            status={"employed": employed, "improved_labour_market_situation": improved},
        )


def record_everyone(store: StoreUnderTest) -> list[Person]:
    """The participants, each with what they should count in (the docstrings say why)."""
    store.clock.day = TODAY
    r = Recorder(store)

    # Anna: intake under 2014-2020, served again there (a return within it: once), then her first
    # contact of 2024 enters her into 2021-2027 automatically, with the situation of that day (she
    # had become unemployed meanwhile: no rewrite of her 2023 entry). Leaves employed, employed after.
    anna = Person("anna", "female")
    anna.counts[Y2023] = {"participants", "CO03", "CO04", "CO09", "CO16", "CO19"}
    anna.counts[Y2024] = {"participants", "EECO01", "EECO02", "EECO09", "EECO12", "EECO17", "EECR04", "EECR05"}
    r.register(
        anna,
        "2023-03-01",
        "1978-05-10",
        {**NO, "disability": "yes"},
        employment_status="inactive",
        isced_level=2,
        residence_area="rural",
    )
    r.request(anna, "2023-06-01")
    r.run(
        command="change_situation",
        beneficiary_id=str(anna.id),
        occurred_on="2023-09-01",
        changes={"employment_status": "unemployed"},
    )
    r.request(anna, "2024-02-10")
    r.leave(anna, "2024-05-31", employed=True)
    r.follow_up(anna, "2021-2027", "2024-12-02", employed=True, improved=False)

    # Vasilis: above 54, long-term unemployed, foreign background (so CO15 and "disadvantaged",
    # whatever his refused minority answer); leaves job searching (not inactive: no CR01), employed
    # six months on (not employed at entry: no CR07). Not served under 2021-2027.
    vasilis = Person("vasilis", "male")
    vasilis.counts[Y2023] = {
        "participants",
        "CO01",
        "CO02",
        "CO07",
        "CO08",
        "CO10",
        "CO15",
        "CR05",
        "CR06",
        "CR08",
        "CR09",
    }
    r.register(
        vasilis,
        "2023-02-01",
        "1965-01-15",
        {**NO, "minority": "refused"},
        employment_status="long_term_unemployed",
        foreign_background=True,
    )
    r.leave(vasilis, "2023-03-31", job_searching=True)
    r.follow_up(vasilis, "2014-2020", "2023-10-02", employed=True, improved=False)

    # Eleni: 16, in education, Roma (minority "yes"), homeless, of the Roma branch; refused the
    # disability and other-disadvantage questions; leaves in education with a qualification.
    eleni = Person("eleni", "female")
    eleni.counts[Y2023] = {
        "participants",
        "CO03",
        "CO06",
        "CO09",
        "CO15",
        "CO16:refused",
        "CO17:refused",
        "CO18",
        "CR02",
        "CR03",
        "CR05",
    }
    r.register(
        eleni,
        "2023-06-15",
        "2007-04-01",
        {"disability": "refused", "minority": "yes", "other_disadvantage": "refused"},
        structure="roma-branch",
        employment_status="inactive_in_education",
        isced_level=2,
        homeless_or_housing_exclusion=True,
    )
    r.leave(eleni, "2023-11-30", in_education_or_training=True, qualification_gained=True)

    # Petros: his refused minority answer alone would make him disadvantaged: CO15 and CR05 count
    # him as refused, never as counted. His follow-up falls in 2024, outside the 2014-2020 document.
    petros = Person("petros", "male")
    petros.counts[Y2023] = {"participants", "CO01", "CO10", "CO15:refused", "CR04", "CR05:refused"}
    r.register(petros, "2023-04-01", "1980-02-02", {**NO, "minority": "refused"}, isced_level=4)
    r.leave(petros, "2023-09-30", employed=True)
    r.follow_up(petros, "2014-2020", "2024-04-01", employed=True, improved=False)

    # Nikos: a 2021-2027 intake, employed, tertiary, third-country national; served again (once); ΤΕΒΑ
    # food aid resolved in April; leaves in training; followed up in 2025: that document counts his
    # follow-up, not his exit of 2024.
    nikos = Person("nikos", "male")
    nikos.counts[Y2024] = {"participants", "EECO01", "EECO05", "EECO11", "EECO13", "EMCR01", "EMCR07", "EECR02"}
    nikos.counts[H2025] = {"EECR05"}
    r.register(
        nikos,
        "2024-03-05",
        "1990-07-07",
        NO,
        employment_status="employed",
        isced_level=6,
        residence_area="intermediate",
        third_country_national=True,
    )
    teba = r.request(nikos, "2024-04-01", "food_aid_teba")
    r.run(command="resolve_request", request_id=str(teba), occurred_on="2024-04-20")
    r.request(nikos, "2024-09-01")
    r.leave(nikos, "2024-10-31", in_education_or_training=True)
    r.follow_up(nikos, "2021-2027", "2025-05-05", employed=True, improved=True)

    # Maria: 68, inactive, no schooling (ISCED 0), rural, refused the disability question; ΤΕΒΑ aid;
    # leaves with none of the results.
    maria = Person("maria", "female")
    maria.counts[Y2024] = {
        "participants",
        "EECO01",
        "EECO04",
        "EECO08",
        "EECO09",
        "EECO12:refused",
        "EECO17",
        "EMCR01",
        "EMCR04",
        "EMCR05",
        "EMCR06:refused",
    }
    r.register(
        maria,
        "2024-01-20",
        "1955-09-09",
        {**NO, "disability": "refused"},
        employment_status="inactive",
        isced_level=0,
        residence_area="rural",
    )
    teba = r.request(maria, "2024-02-01", "food_aid_teba")
    r.run(command="resolve_request", request_id=str(teba), occurred_on="2024-02-15")
    r.leave(maria, "2024-11-29")

    # Georgia: registered in 2022 (in no document here); entered 2021-2027 by hand with that day's
    # answers (unemployed; other disadvantage "yes", minority refused), her entry's education then
    # corrected to tertiary; leaves job searching.
    georgia = Person("georgia", "female")
    georgia.counts[Y2024] = {"participants", "EECO01", "EECO02", "EECO11", "EECO15:refused", "EECR01"}
    r.register(georgia, "2022-05-01", "1985-11-11", NO, employment_status="employed")
    r.run(
        command="enter_operation",
        beneficiary_id=str(georgia.id),
        occurred_on="2024-06-01",
        situation={"employment_status": "unemployed"},
        special={"disability": "no", "minority": "refused", "other_disadvantage": "yes"},
    )
    r.run(
        command="correct_operation_record",
        beneficiary_id=str(georgia.id),
        operation="2021-2027",
        record="entry",
        changes={"profile": {"isced_level": 5}},
        reason="typing_error",
    )
    r.leave(georgia, "2024-08-31", job_searching=True)

    # Kostas: registered by mistake and voided: in no figure.
    kostas = Person("kostas", "male")
    r.register(kostas, "2024-02-01", "1970-01-01", NO)
    r.request(kostas, "2024-03-01", "food_aid_teba")
    r.run(command="void_entry", entry_id=str(kostas.id), reason="duplicate_entry")
    return [anna, vasilis, eleni, petros, nikos, maria, georgia, kostas]


def expected_members(people: list[Person], document: tuple[str, date, date], cell: str) -> set[UUID]:
    _, code, gender = cell.split("/")
    return {
        p.id
        for p in people
        if p.id is not None and code in p.counts.get(document, set()) and gender in ("total", p.gender)
    }


def check_every_cell(conn: Any, people: list[Person], structure: str | None = None) -> None:
    """Each document's cells hold exactly the people expected, and each figure is their number."""
    for document in DOCUMENTS:
        operation, start, end = document
        doc = esf_delivery(conn, operation, start, end, structure)
        cells = flatten_esf(doc)
        named = {code for p in people for code in p.counts.get(document, set())}
        assert {f"esf-{operation}/{code}/total" for code in named} <= set(cells), document
        for cell, value in cells.items():
            found = members(conn, cell, start, end, structure)
            expected = expected_members(people, document, cell)
            assert {m.beneficiary_id for m in found} == expected, (document, cell)
            assert value == figure(cell, found) == len(expected), (document, cell)


@pytest.fixture
def recorded(store: StoreUnderTest) -> tuple[StoreUnderTest, list[Person]]:
    people = record_everyone(store)
    store.kentra.views(store.tenant.id).catch_up()
    return store, people


def test_every_cell_counts_the_participants_it_should_and_no_one_else(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    with store.kentra.views(store.tenant.id).engine.connect() as conn:
        check_every_cell(conn, people)


def test_a_structure_s_delivery_counts_only_the_people_who_entered_in_it(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    roma = [p for p in people if p.name == "eleni"]
    centre = [p for p in people if p.name != "eleni"]
    with store.kentra.views(store.tenant.id).engine.connect() as conn:
        check_every_cell(conn, roma, "roma-branch")
        check_every_cell(conn, centre, "centre")


def test_the_participant_file_has_one_row_per_participant_with_the_data_of_their_entry(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    by_name = {p.name: p for p in people}
    with store.kentra.views(store.tenant.id).engine.connect() as conn:
        rows = {row["beneficiary_id"]: row for row in esf_delivery(conn, *Y2024, None)["people"]}
        later = esf_delivery(conn, *H2025, None)["people"]
        earlier = {row["beneficiary_id"]: row for row in esf_delivery(conn, *Y2023, None)["people"]}
    assert set(rows) == {by_name[n].id for n in ("anna", "nikos", "maria", "georgia")}
    anna = rows[by_name["anna"].id]
    assert (anna["entry"], anna["automatic"], anna["entered_on"]) == ("return", True, date(2024, 2, 10))
    assert (anna["employment_status"], anna["disability"], anna["household_situation"]) == (
        "unemployed",
        "yes",
        "lives_alone",
    )
    assert (anna["left_on"], anna["employed"], anna["followed_up_on"]) == (date(2024, 5, 31), True, date(2024, 12, 2))
    assert earlier[by_name["anna"].id]["employment_status"] == "inactive"  # her 2023 entry, unchanged
    georgia = rows[by_name["georgia"].id]
    assert (georgia["entry"], georgia["automatic"], georgia["isced_level"]) == ("return", False, 5)
    assert (georgia["minority"], georgia["other_disadvantage"]) == ("refused", "yes")
    nikos = rows[by_name["nikos"].id]
    assert (nikos["entry"], nikos["left_on"], nikos["job_searching"]) == ("intake", date(2024, 10, 31), False)
    assert nikos["followed_up_on"] is None  # not known by the period's end
    assert nikos["employed_after_six_months"] is None
    assert [row["beneficiary_id"] for row in later] == [by_name["nikos"].id]
    assert later[0]["followed_up_on"] == date(2025, 5, 5)
    assert by_name["kostas"].id not in rows
    assert by_name["vasilis"].id in earlier


def test_a_rebuild_and_the_auditors_replay_give_the_same_figures_and_rows(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    views = store.kentra.views(store.tenant.id)

    def documents(conn: Any) -> list[dict[str, Any]]:
        return [esf_delivery(conn, operation, start, end, None) for operation, start, end in DOCUMENTS]

    with views.engine.connect() as conn:
        live = documents(conn)
    views.rebuild()
    with views.engine.connect() as conn:
        assert documents(conn) == live
    replayed = replay(store.casework, store.casework.vault, TODAY)
    try:
        with replayed.now.connect() as conn:
            assert documents(conn) == live
            check_every_cell(conn, people)
    finally:
        replayed.close()


def test_an_erasure_keeps_every_entry_s_figures_and_a_rebuild_after_it_too(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    views = store.kentra.views(store.tenant.id)
    for name in ("anna", "georgia"):
        person = next(p for p in people if p.name == name)
        assert person.id is not None
        store.casework.erase(person.id, reason="subject_request", legal_ground="GDPR Art. 17(1)(a)", erased_by="dpo")
    views.catch_up()
    with views.engine.connect() as conn:
        check_every_cell(conn, people)
    views.rebuild()
    with views.engine.connect() as conn:
        check_every_cell(conn, people)


def test_the_programme_indicators_are_the_delivery_s_figures_without_the_participant_file(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, _ = recorded
    with store.kentra.views(store.tenant.id).engine.connect() as conn:
        for operation, start, end in DOCUMENTS:
            delivery = esf_delivery(conn, operation, start, end, None)
            assert esf_indicators(conn, operation, start, end, None) == {
                k: v for k, v in delivery.items() if k != "people"
            }


def test_a_subject_access_request_shows_the_person_s_operation_entries_and_exits(
    recorded: tuple[StoreUnderTest, list[Person]],
) -> None:
    store, people = recorded
    anna = next(p for p in people if p.name == "anna")
    assert anna.id is not None
    document = subject_access(
        store.casework, store.kentra.views(store.tenant.id), anna.id, asked_by="dpo", role="coordinator"
    )
    entries = document["read_models"]["view_operation_entries"]
    exits = document["read_models"]["view_operation_exits"]
    assert [(row["operation"], row["entered_on"], row["disability"]) for row in entries] == [
        ("2021-2027", "2024-02-10", "yes")
    ]
    assert [(row["operation"], row["left_on"], row["followed_up_on"]) for row in exits] == [
        ("2021-2027", "2024-05-31", "2024-12-02")
    ]
