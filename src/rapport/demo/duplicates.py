"""Near-duplicates planted in the demo, entered twice the way CRMs get them.

A small share of contacts and customer organisations is entered a second time with the
flaws real data has: a typo in the surname, a nickname for the given name, an initial
or no given name at all, a second e-mail address, the phone written the other way,
the same person after a job move to another customer; an organisation with or without
its legal form, or with a typo. Each copy says in its notes (contacts) or description
(accounts) what it is a copy of, so the review queue can be checked against the truth.

The copies are written through the accounts services (validation, blocking keys,
history) after everything else, from a random stream of their own, so the rest of the
data is the same as without them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import phonenumbers

from rapport.accounts import services
from rapport.accounts.models import Account, Contact, ContactIdentity, IdentityKind
from rapport.analytics.names import NICKNAMES, plain
from rapport.core.errors import ApplicationError
from rapport.core.models import User
from rapport.demo.names import slug
from rapport.demo.sizes import DEMO_DOMAIN
from rapport.demo.world import LEGAL_FORMS
from rapport.resolution import runners
from rapport.resolution import services as resolution
from rapport.resolution.models import DedupeRun, RecordKind

CONTACT_FLAWS = (
    "surname typo",
    "nickname",
    "initial",
    "no first name",
    "second e-mail",
    "phone format",
    "job move",
)
ACCOUNT_FLAWS = ("legal form", "name typo")
PRIVATE_DOMAINS = ("example.net", "example.org", "mail.example")
LABEL = re.compile(
    r"Demo: entered twice \((?P<flaw>[^)]+)\), copy of (?P<kind>contact|account) #(?P<pk>\d+)\."
)

_VARIANTS: dict[str, list[str]] = {}
for _variant, _canonical in sorted(NICKNAMES.items()):
    _VARIANTS.setdefault(_canonical, []).append(_variant)


def label(flaw: str, kind: str, pk: int) -> str:
    """The note that marks a planted copy (read back by the demo tests)."""
    return f"Demo: entered twice ({flaw}), copy of {kind} #{pk}."


def _typo(word: str, rng: random.Random) -> str:
    """Two neighbouring inner letters swapped, or a doubled letter written once."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randint(1, len(word) - 3)
    if word[i] == word[i + 1]:
        return word[: i + 1] + word[i + 1 :].replace(word[i], "", 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _other_format(phone: str, e164: str) -> str:
    """The number written the other way: +49 89 1234567 as 089 1234567 and back."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return phone
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if phone.strip() != national:
        return national
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _private(email: str, rng: random.Random) -> str:
    """The same mailbox name at a private provider: what people give at a trade fair."""
    return f"{email.partition('@')[0]}@{rng.choice(PRIVATE_DOMAINS)}"


def _free(email: str) -> str:
    """The address if nobody has it yet, else nothing (identities are unique)."""
    taken = ContactIdentity.objects.filter(kind=IdentityKind.EMAIL, normalized=email.lower())
    return "" if taken.exists() else email


def plant(
    *, seed: int, contacts: int, accounts: int, progress: Callable[[str], None]
) -> dict[str, int]:
    """Enter ``contacts`` people and ``accounts`` organisations a second time; returns counts."""
    if not contacts and not accounts:
        return {}
    rng = random.Random(seed * 6_007 + 29)
    actor = User.objects.get(email=f"demo@{DEMO_DOMAIN}")
    made = {"duplicate_contacts": 0, "duplicate_accounts": 0}
    roots = list(Account.objects.filter(depth=1, deleted_at__isnull=True).order_by("pk"))
    people = list(
        Contact.objects.filter(status="active")
        .exclude(first_name="")
        .order_by("pk")
        .values_list("pk", "first_name")
    )
    named = [pk for pk, first in people if plain(first) in _VARIANTS]
    chosen = [pk for pk, _ in rng.sample(people, min(contacts, len(people)))]
    taken = set(chosen)
    planned = []
    for n, pk in enumerate(chosen):
        flaw = CONTACT_FLAWS[n % len(CONTACT_FLAWS)]
        if flaw == "nickname":
            # Only names with a known nickname can be entered by it: pick one that has.
            pool = [other for other in named if other not in taken]
            if pool:
                pk = rng.choice(pool)
                taken.add(pk)
        planned.append((flaw, pk))
    originals = Contact.objects.select_related("account").in_bulk([pk for _, pk in planned])
    identities: dict[tuple[int, str], str] = {}
    for contact_id, kind, value, normalized in (
        ContactIdentity.objects.filter(is_primary=True, contact__in=list(originals))
        .order_by("pk")
        .values_list("contact_id", "kind", "value", "normalized")
    ):
        identities.setdefault((contact_id, kind), value)
        if kind == IdentityKind.PHONE:
            identities.setdefault((contact_id, "e164"), normalized)
    for flaw, pk in planned:
        original = originals[pk]
        copy = _contact_copy(original, flaw, identities, roots, rng)
        if copy is None:
            continue
        try:
            services.contact_create(actor=actor, **copy)
        except ApplicationError as exc:  # a rare clash with an existing identity: skip
            progress(f"duplicates: {flaw} copy of contact {original.pk} skipped: {exc.message}")
            continue
        made["duplicate_contacts"] += 1
    for n, original in enumerate(rng.sample(roots, min(accounts, len(roots)))):
        flaw = ACCOUNT_FLAWS[n % len(ACCOUNT_FLAWS)]
        services.account_create(actor=actor, **_account_copy(original, flaw, rng))
        made["duplicate_accounts"] += 1
    progress(
        f"duplicates: {made['duplicate_contacts']} contacts and "
        f"{made['duplicate_accounts']} organisations entered twice"
    )
    return made


def _contact_copy(
    original: Contact,
    flaw: str,
    identities: dict[tuple[int, str], str],
    roots: list[Account],
    rng: random.Random,
) -> dict[str, Any] | None:
    """The fields of a second entry of ``original`` with the given flaw."""
    first, last = original.first_name, original.last_name
    email = identities.get((original.pk, IdentityKind.EMAIL), "")
    phone = identities.get((original.pk, IdentityKind.PHONE), "")
    domain = email.partition("@")[2]
    account = original.account
    fields: dict[str, Any] = {"email": "", "phone": ""}
    if flaw == "surname typo":
        last = _typo(last, rng)
        if domain:
            fields["email"] = _free(f"{slug(first, '-')}.{slug(last, '-')}@{domain}")
    elif flaw == "nickname":
        variants = _VARIANTS.get(plain(first) or "")
        if not variants:
            return None
        first = rng.choice(variants).capitalize()
    elif flaw == "initial":
        first = first[0] + "."
        # From a badge scan at a trade fair: the initial, and a private address.
        fields["email"] = _free(_private(email, rng)) if email else ""
    elif flaw == "no first name":
        first = ""  # nobody knew the name
        fields["email"] = _free(_private(email, rng)) if email else ""
    elif flaw == "second e-mail":
        if not email:
            return None
        fields["email"] = _free(_private(email, rng))
    elif flaw == "phone format":
        if not phone:
            return None
        fields["phone"] = _other_format(phone, identities.get((original.pk, "e164"), phone))
    elif flaw == "job move":
        others = [a for a in roots if a.pk != original.customer_id and a.web_domain]
        if not others:
            return None
        account = rng.choice(others)
        local = email.partition("@")[0] or f"{slug(first, '-')}.{slug(last, '-')}"
        fields["email"] = _free(f"{local}@{account.web_domain}")
    return {
        **fields,
        "account": account,
        "first_name": first,
        "last_name": last,
        "title": original.title,
        "notes": label(flaw, "contact", original.pk),
    }


def _account_copy(original: Account, flaw: str, rng: random.Random) -> dict[str, Any]:
    """The fields of a second entry of the organisation ``original`` with the given flaw."""
    name = original.name
    if flaw == "legal form":
        forms = LEGAL_FORMS.get(original.country, ("GmbH",))
        present = [f for f in sorted(forms, key=len, reverse=True) if name.endswith(f" {f}")]
        name = name[: -len(present[0]) - 1] if present else f"{name} {forms[0]}"
    else:
        words = name.split(" ")
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        words[longest] = _typo(words[longest], rng)
        name = " ".join(words)
    return {
        "name": name,
        "website": original.website,
        "country": original.country,
        "city": original.city,
        "industry": original.industry,
        "description": label(flaw, "account", original.pk),
    }


def search(*, progress: Callable[[str], None]) -> list[DedupeRun]:
    """Run the product's duplicate search once over contacts and accounts, as the demo admin.

    The one place the demo starts a search, so the review queue has pairs after `make run`.
    """
    actor = User.objects.get(email=f"demo@{DEMO_DOMAIN}")
    runs = []
    for kind in (RecordKind.CONTACT, RecordKind.ACCOUNT):
        run = runners.dedupe_run_execute(run=resolution.dedupe_run_create(actor=actor, kind=kind))
        progress(
            f"duplicates: {run.get_kind_display()} search {run.status}, {run.pairs_found} pairs"
        )
        runs.append(run)
    return runs
