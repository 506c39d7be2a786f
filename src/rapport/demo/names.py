"""Names and slugs for the demo: Faker pools per locale, ASCII folding, the demo password."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

from django.contrib.auth.hashers import make_password
from faker import Faker

from rapport.demo.sizes import DEMO_PASSWORD
from rapport.demo.world import REAL_CITY_LOCALES

# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "&": " ",
    }
)


@lru_cache(maxsize=65_536)
def slug(text: str, sep: str = "") -> str:
    """ASCII, lower case, letters and digits only (words joined by ``sep``)."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    out, word = [], []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            word.append(ch.lower())
        elif ch in " -./" and word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return sep.join(out)


# Street addresses name people ("Jens-Drubin-Straße"): the address provider needs person.
_ADDRESS_PROVIDERS = ["faker.providers.address", "faker.providers.person"]


class Names:
    """Pools of names per Faker locale, drawn once per locale and seed (a Faker call per
    row would be far too slow). Each locale has its own Faker seeded from the seed and the
    locale, so the pools do not depend on the order in which locales are first needed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._first: dict[str, list[str]] = {}
        self._last: dict[str, list[str]] = {}
        self._cities: dict[str, list[str]] = {}
        self._streets: dict[str, list[str]] = {}
        self._postcodes: dict[str, list[str]] = {}

    def _faker(self, loc: str, provider: str) -> Faker:
        # Only the provider needed, unweighted: building full weighted Fakers for 18
        # locales costs seconds.
        fake = Faker(loc, providers=[f"faker.providers.{provider}"], use_weighting=False)
        fake.seed_instance(f"{self.seed}:{loc}:{provider}")
        return fake

    def first(self, loc: str) -> list[str]:
        if loc not in self._first:
            fake = self._faker(loc, "person")
            self._first[loc] = self._pool(fake.first_name, 250)
            self._last[loc] = self._pool(fake.last_name, 300)
        return self._first[loc]

    def last(self, loc: str) -> list[str]:
        self.first(loc)
        return self._last[loc]

    def cities(self, loc: str) -> list[str]:
        if loc not in REAL_CITY_LOCALES:
            return []
        if loc not in self._cities:
            self._cities[loc] = self._pool(self._faker(loc, "address").city, 100)
        return self._cities[loc]

    def streets(self, loc: str) -> list[str]:
        """Street addresses (name and number) as people write them in the locale."""
        if loc not in self._streets:
            fake = Faker(loc, providers=_ADDRESS_PROVIDERS, use_weighting=False)
            fake.seed_instance(f"{self.seed}:{loc}:street")
            self._streets[loc] = self._pool(fake.street_address, 150, digits=True)
            self._postcodes[loc] = self._pool(fake.postcode, 150, digits=True)
        return self._streets[loc]

    def postcodes(self, loc: str) -> list[str]:
        """Postcodes of the locale's format."""
        self.streets(loc)
        return self._postcodes[loc]

    @staticmethod
    def _pool(draw: Callable[[], str], n: int, *, digits: bool = False) -> list[str]:
        seen = dict.fromkeys(
            v
            for v in (" ".join(draw().split()) for _ in range(n))
            if v
            and (digits or ("," not in v and not any(ch.isdigit() for ch in v)))
            and len(v) <= 40
        )
        return list(seen)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """The demo password hashed once per process (argon2 is slow on purpose)."""
    return make_password(DEMO_PASSWORD)


@lru_cache(maxsize=4)
def seeded_names(seed: int) -> Names:
    return Names(seed)
