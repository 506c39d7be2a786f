"""Blocking keys for finding probable duplicates through an index (pure Python, no Django).

A key is short and coarse on purpose: two spellings of one person or company should share
it (typos, transposed letters, nicknames, initials), so that the online check can fetch a
few hundred candidates by one index range scan and leave the fine comparison to rapidfuzz.

* A contact's key is the Soundex code of the surname followed by the Soundex code of the
  canonical given name (nicknames resolved: Bob → Robert): "Smith, Bob" → ``S530R163``.
  Candidates for a new entry are the rows whose key starts with the surname's code and the
  given name's first letter, which also finds "J. Smith" for "John Smith".
* An account's key is the Soundex code of the first two significant words of its name,
  legal forms dropped ("The Acme Co. Ltd" → ``A250``).
"""

from __future__ import annotations

from functools import lru_cache

from rapport.analytics.names import domain, given_name_canonical, organisation_name, plain

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}

KEY_LENGTH = 16


def soundex(word: str) -> str:
    """American Soundex of a word: its first letter and three digits ("Smith" → S530)."""
    letters = [ch for ch in (plain(word) or "") if "a" <= ch <= "z"]
    if not letters:
        return ""
    first = letters[0]
    digits: list[str] = []
    previous = _SOUNDEX_CODES.get(first, "")
    for ch in letters[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != previous:
            digits.append(code)
        if ch not in "hw":  # h and w do not separate two letters of the same code
            previous = code
        if len(digits) == 3:
            break
    return (first.upper() + "".join(digits)).ljust(4, "0")


def surname_code(last_name: str) -> str:
    """The Soundex code of a whole surname, particles included ("van der Berg" → V536)."""
    return soundex((plain(last_name) or "").replace(" ", ""))


def given_code(first_name: str) -> str:
    """The Soundex code of a given name's canonical form (Bob → Robert → R163)."""
    return soundex(given_name_canonical(first_name) or "")


@lru_cache(maxsize=65536)  # names repeat: an import of 100,000 people has far fewer
def contact_match_key(first_name: str, last_name: str) -> str:
    """The blocking key of a person: surname code then given-name code."""
    return (surname_code(last_name) + given_code(first_name))[:KEY_LENGTH]


def contact_key_prefixes(first_name: str, last_name: str) -> list[str]:
    """Key prefixes a probable duplicate of this person has (same-sounding, swapped names)."""
    surname, given = surname_code(last_name), given_code(first_name)
    prefixes = []
    if surname:
        prefixes.append(surname + given[:1])
    if given and surname:
        prefixes.append(given + surname[:1])  # first and last name swapped
    return prefixes


# One letter of each Soundex class and a vowel: enough to reach every code a one-letter
# slip can give, without trying the whole alphabet.
_CLASS_LETTERS = "abcdlmr"


def surname_code_slips(last_name: str) -> list[str]:
    """Codes of the surnames one keyboard slip away (a letter dropped, added, changed or two
    swapped after the first), their own code first: "Jonhson" (J552) reaches Johnson (J525)."""
    word = (plain(last_name) or "").replace(" ", "")
    if len(word) < 2:
        return [surname_code(word)] if word else []
    head, tail = word[0], word[1:]
    spellings: set[str] = set()
    for i in range(len(tail) + 1):
        spellings.update(head + tail[:i] + ch + tail[i:] for ch in _CLASS_LETTERS)
        if i < len(tail):
            spellings.add(head + tail[:i] + tail[i + 1 :])
            spellings.update(head + tail[:i] + ch + tail[i + 1 :] for ch in _CLASS_LETTERS)
        if i < len(tail) - 1:
            spellings.add(head + tail[:i] + tail[i + 1] + tail[i] + tail[i + 2 :])
    own = soundex(word)
    return [own, *sorted({soundex(s) for s in spellings} - {own, ""})]


def account_words(name: str) -> list[str]:
    """The significant words of a company name (legal forms and 'and' dropped)."""
    return (organisation_name(name) or "").split()


def account_match_key(name: str) -> str:
    """The blocking key of a company: Soundex of its first two significant words."""
    words = account_words(name)
    return "".join(soundex(word) for word in words[:2])[:KEY_LENGTH]


def account_key_prefix(name: str) -> str:
    """The key prefix a probable duplicate of this company has: its first word's code."""
    words = account_words(name)
    return soundex(words[0]) if words else ""


def web_domain(website: str) -> str:
    """A website's bare domain ("https://www.Acme.com/x" → acme.com), or ""."""
    return (domain(website) or "")[:200]
