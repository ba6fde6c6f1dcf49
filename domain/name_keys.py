"""The keys a person is found by: a phonetic Latin skeleton of each name, its prefixes, and the query's.

Staff type a Greek surname in Greek or in Latin letters, spelled as each of them would
(Παπαδόπουλος, Papadopoulos, Papadopulos), with or without accents, and often only its start. Both
sides are brought to one skeleton: Greek is transliterated by ``anyascii`` (a maintained table of
every script, rather than one of our own), then the spellings Greek–Latin transliteration confuses
are folded into one (ου/u, φ/ph/f, χ/ch/h/x, η/ι/υ/ει/οι/y/i, αι/e, ευ/ev/ef, μπ/b, ντ/d, γκ/γγ/g…) and
doubled letters collapse. The vault keeps keyed blind indexes of each skeleton's prefixes (from
``MIN_PREFIX`` letters), never a name in clear; a query needs ``MIN_TYPED`` letters as typed (its
skeleton may be shorter: "Chr" is "hr"). See docs/design.md, "Issue 20: staff search".
"""

from __future__ import annotations

import re
from datetime import date

from anyascii import anyascii

from domain.errors import InvalidValueError

MIN_TYPED = 3  # letters a query must have as typed: fewer would each match a large share of the people
MIN_PREFIX = 2  # skeleton letters of the shortest prefix indexed (three typed letters may fold to two)

# Two letters read as one sound, Greek transliterated or typed in Latin letters; what each becomes.
_PAIRS = {
    "ou": "u",
    "oy": "u",
    "oi": "i",
    "ei": "i",
    "ai": "e",
    "au": "af",
    "ay": "af",
    "av": "af",
    "eu": "ef",
    "ey": "ef",
    "ev": "ef",
    "ph": "f",
    "th": "t",
    "ch": "h",
    "kh": "h",
    "ks": "h",
    "mp": "b",
    "mb": "b",
    "nt": "d",
    "nd": "d",
    "gk": "g",
    "gg": "g",
    "ng": "g",
}
# Single letters Latin spellings use for one Greek letter: ξ/χ typed x, κ typed c, υ typed y, ω typed w.
_SINGLE = {"x": "h", "c": "k", "q": "k", "y": "i", "w": "o"}
_STARTS = frozenset(pair[0] for pair in _PAIRS)  # letters whose sound depends on the next one


def _tokens(word: str) -> list[tuple[str, bool]]:
    """The word's sounds, left to right: (skeleton letters, whether the last raw letter stood alone and
    could have paired with a letter that follows)."""
    out: list[tuple[str, bool]] = []
    i = 0
    if word.startswith("yi"):  # Yiannis is how Γιάννης is often written
        out.append(("g", False))
        i = 1
    while i < len(word):
        pair = word[i : i + 2]
        if len(pair) == 2 and pair in _PAIRS:
            out.append((_PAIRS[pair], False))
            i += 2
        else:
            out.append((_SINGLE.get(word[i], word[i]), word[i] in _STARTS))
            i += 1
    return out


def _collapse(letters: str) -> str:
    """Doubled letters as one (Ψαρράς, Psaras)."""
    return re.sub(r"(.)\1+", r"\1", letters)


def words(name: str) -> list[str]:
    """The name's words in Latin lower-case letters, accents and punctuation gone (hyphens split)."""
    return [w for w in re.split(r"[^a-z]+", anyascii(name).lower()) if w]


def skeleton(word: str) -> str:
    """The phonetic skeleton of one word (``words`` gives them): Παπαδόπουλος and Papadopulos alike."""
    return _collapse("".join(letters for letters, _ in _tokens(word)))


def name_skeletons(name: str) -> list[str]:
    """The skeleton of each word of a name."""
    return [s for s in (skeleton(w) for w in words(name)) if s]


def prefixes(name: str) -> set[str]:
    """Every prefix, from ``MIN_PREFIX`` letters, of the skeleton of each word of a name: the values
    its blind indexes are made of."""
    return {s[:k] for s in name_skeletons(name) for k in range(MIN_PREFIX, len(s) + 1)}


def query_keys(typed: str) -> frozenset[str]:
    """What one word, as typed (in either alphabet), may be the start of: the skeleton prefixes to look up.

    A last letter that could pair with the next one (``p`` of ``ph``, ``o`` of ``ou``) is read both
    ways, so a query cut in the middle of a sound still finds the name. Raises InvalidValueError for
    a word of fewer than ``MIN_TYPED`` letters: so short a start is not searched."""
    if sum(ch.isalpha() for ch in typed) < MIN_TYPED:
        raise InvalidValueError(f"give at least {MIN_TYPED} letters of the surname", field="name")
    word = "".join(words(typed))
    tokens = _tokens(word)
    if not tokens:  # letters anyascii has no Latin spelling for
        raise InvalidValueError("a name to search for is needed", field="name")
    *stable, (last, dangling) = tokens
    base = "".join(letters for letters, _ in stable)
    endings = {last}
    if dangling:
        endings |= {_PAIRS[pair] for pair in _PAIRS if pair[0] == word[-1]}
    keys = {_collapse(base + ending) for ending in endings}
    if min(len(k) for k in keys) < MIN_PREFIX:
        raise InvalidValueError(f"give at least {MIN_TYPED} letters of the surname", field="name")
    # A key that begins with another finds nothing the shorter one does not.
    return frozenset(k for k in keys if not any(k != o and k.startswith(o) for o in keys))


def query_words(text: str) -> list[frozenset[str]]:
    """Each word of a name query (spaces or hyphens between them) as ``query_keys``; none is refused."""
    typed = [w for w in re.split(r"[\s\-]+", text.strip()) if w]
    if not typed:
        raise InvalidValueError("a name to search for is needed", field="name")
    return [query_keys(w) for w in typed]


def matches(keys: frozenset[str], name: str) -> bool:
    """Whether one of a name's word skeletons begins with one of these keys."""
    return any(s.startswith(k) for s in name_skeletons(name) for k in keys)


def birth_date_key(born: date) -> str:
    """The value of a birth date's blind index."""
    return born.isoformat()
