"""The name skeleton: Greek names and the Latin spellings staff use for them fold to one, and every
start of a name, cut anywhere, finds it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.name_keys import (
    MIN_PREFIX,
    MIN_TYPED,
    birth_date_key,
    matches,
    name_skeletons,
    prefixes,
    query_keys,
    query_words,
    skeleton,
    words,
)

SPELLINGS = [
    ("Παπαδόπουλος", ["Papadopoulos", "Papadopulos", "PAPADOPOULOS", "παπαδοπουλος"]),
    ("Χατζηγεωργίου", ["Hatzigeorgiou", "Chatzigeorgiou", "Xatzigewrgiou"]),
    ("Ευαγγελία", ["Evangelia", "Eyaggelia", "Evaggelia"]),
    ("Αικατερίνη", ["Aikaterini", "Ekaterini"]),
    ("Ψαρράς", ["Psarras", "Psaras"]),
    ("Μπαλτάς", ["Baltas", "Mpaltas"]),
    ("Ντόκος", ["Dokos", "Ntokos"]),
    ("Γκόλφω", ["Golfo", "Gkolfo"]),
    ("Φωτεινή", ["Fotini", "Foteini", "Photini"]),
    ("Οικονόμου", ["Oikonomou", "Ikonomou"]),
    ("Κυριακή", ["Kyriaki", "Kiriaki"]),
    ("Θεοδωρόπουλος", ["Theodoropoulos"]),
    ("Αλεξανδροπούλου", ["Alexandropoulou", "Aleksandropoulou"]),
    ("Γιάννης", ["Giannis", "Yiannis"]),
    ("Σμιθ", ["Smith"]),
]


@pytest.mark.parametrize(("greek", "latin"), SPELLINGS)
def test_a_greek_name_and_its_latin_spellings_have_one_skeleton(greek: str, latin: list[str]) -> None:
    for spelling in latin:
        assert name_skeletons(spelling) == name_skeletons(greek), spelling


def test_different_names_keep_different_skeletons() -> None:
    assert name_skeletons("Παπαδόπουλος") != name_skeletons("Παπαδάκης")
    assert not matches(query_keys("Papadak"), "Παπαδόπουλος")


@given(st.sampled_from([*(g for g, _ in SPELLINGS), *(s for _, ls in SPELLINGS for s in ls)]), st.data())
def test_every_start_of_a_name_typed_as_it_is_spelled_finds_it(name: str, data: st.DataObject) -> None:
    """Cut in the middle of a sound (the 'o' of 'ou', the 'p' of 'ph') or not, a start finds the name."""
    cut = data.draw(st.integers(min_value=MIN_TYPED, max_value=len(name)))
    assert matches(query_keys(name[:cut]), name)


@given(st.text(alphabet="abcdefghiklmnoprstuvxyzαβγδεζηθικλμνξοπρστυφχψωάέήίόύώ", min_size=3, max_size=14), st.data())
def test_any_start_of_any_word_finds_the_word(word: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=MIN_TYPED, max_value=len(word)))
    try:
        keys = query_keys(word[:cut])
    except InvalidValueError:  # only a start that folds to a letter or two ("ααα", "oou") is refused
        assert len(skeleton("".join(words(word[:cut])))) <= MIN_PREFIX
        return
    assert matches(keys, word)


def test_the_prefixes_indexed_cover_what_a_query_of_three_letters_or_more_looks_up() -> None:
    indexed = prefixes("Παπαδοπούλου-Νικολάου")
    assert {"pap", "papadopulu", "nik", "nikolau"} <= indexed
    for typed in ("Pap", "Papadop", "Nikol", "Νικολ"):
        assert query_keys(typed) & indexed, typed


@pytest.mark.parametrize("typed", ["Pa", "Πα", "Ου", "a-b", "  "])
def test_a_query_of_fewer_than_three_letters_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        query_words(typed)
    assert refused.value.field == "name"


def test_a_query_of_several_words_gives_the_keys_of_each() -> None:
    assert len(query_words("Ελένη Παπαδοπούλου")) == 2
    assert query_words("Papadopoulou") == [frozenset({"papadopulu"})]


def test_a_birth_date_key_is_its_iso_day() -> None:
    assert birth_date_key(date(1979, 3, 4)) == "1979-03-04"
