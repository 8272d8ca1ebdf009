"""Vocal-style slugs, written for the replica alone (see the package docstring).

Lowercase kebab-case of a title or name: an apostrophe becomes its own token
(``the-devil-s-playground``), camelCase is split (``you-tube-automation``), and a
clash takes a random ``[0-9a-z]{8,10}`` suffix (``sibca-awan-agearw0mio``).
"""

from __future__ import annotations

import random
import re
import unicodedata

SUFFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


_LETTERS = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d"}


def _fold(text: str) -> str:
    """ASCII letters for accented ones; anything else that is not ASCII splits words."""
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            continue
        out.append(char if char.isascii() else _LETTERS.get(char, " "))
    return "".join(out)


def kebab(text: str) -> str:
    """The slug of a title or a name (accents folded, emoji and symbols dropped)."""
    slug = _NON_WORD.sub("-", _fold(_CAMEL.sub(" ", text)).lower()).strip("-")
    return slug or "untitled"


def random_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(SUFFIX_ALPHABET) for _ in range(rng.randint(8, 10)))


def unique_slug(base: str, taken: set[str], rng: random.Random) -> str:
    """``base``, or ``base-<suffix>`` when taken; the result is added to ``taken``."""
    slug = base
    while slug in taken:
        slug = f"{base}-{random_suffix(rng)}"
    taken.add(slug)
    return slug
