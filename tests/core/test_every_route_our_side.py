"""Every route, walked as customers and partners who may see an organisation: none shows
our internal side of it, nor the people of units they may not see.

On the rows of Acme, which the portal user of Acme and the partner user serving Acme may
see, we plant distinctive internal words: a cost and its margin, a judgement's reason, a
wallet estimate's note, notes on a person, on a buying role and on the partner, a hostile
attitude rating and a commitment we are late with. A person who took part in an Acme call and then
moved to Globex carries a distinctive name and new title; a partner serving only Acme EMEA
sees a call at Plant Hamburg with a person from Acme's head office. No response body they
get may contain any of those words, while an admin finds every one of them somewhere.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.core.test_every_route import (
    DIFFERENTIATE,
    GROUPS,
    ROUTES,
    _body,
    _differentiate,
    _every_id,
    _fill,
    _group,
    _queries,
    _remember,
    _sweep,
    _values,
)

pytestmark = pytest.mark.django_db

# Our internal side of Acme: nobody outside our staff may see any of these.
INTERNAL_WORDS = [
    DIFFERENTIATE["acme"]["reason"],  # a judgement's reason
    DIFFERENTIATE["acme"]["wallet"],  # a wallet estimate's note
    "613.47",  # our cost on an order line
    "386.53",  # and its margin
    "Pomelo remark",  # our note on a person
    "Gooseberry remark",  # our note on a buying role
    "Hostile",  # a colleague's rating of a person's attitude to us
    "Quince remark",  # our note on the partner
    "Saffron promise",  # a commitment we owe and are late with
]
# A person of Acme who took part in a call and moved to Globex: neither name nor new title.
MOVED_WORDS = ["Pemberton", "Chief Alchemist"]
# A person of Acme's head office on a call at Plant Hamburg, for a partner serving EMEA only.
HEAD_OFFICE_WORDS = ["Quarrington", "Treasurer of the Board"]
OUTSIDERS = {
    "portal_acme": INTERNAL_WORDS + MOVED_WORDS,
    "partner_user": INTERNAL_WORDS + MOVED_WORDS,
    "emea_partner_user": INTERNAL_WORDS + MOVED_WORDS + HEAD_OFFICE_WORDS,
}


def _plant(world) -> None:
    """Internal words on Acme's rows, and people of units some outsiders may not see."""
    from rapport.accounts import services as account_services
    from rapport.accounts.models import Contact, Partner
    from rapport.core.models import Role
    from rapport.interactions import services as interaction_services
    from rapport.interactions.models import Commitment
    from rapport.offers.models import ProductCategory
    from rapport.valuation import services as value_services
    from tests.factories import make_contact, make_interaction, make_partner, make_user

    today = timezone.now().date()
    hardware = ProductCategory.objects.get(name="Hardware")
    value_services.order_line_create(
        actor=world.rep, account=world.acme_plant, category=hardware, ordered_on=today,
        product="Anvil spare", revenue=Decimal("1000.00"), cost=Decimal("613.47"),
    )  # fmt: skip
    Contact.objects.filter(pk=world.acme_buyer.pk).update(notes="Pomelo remark: call first")
    Partner.objects.filter(pk=world.partner.pk).update(notes="Quince remark: slow payer")
    account_services.buying_role_set(
        actor=world.rep, contact=world.acme_buyer, role="purchasing", account=world.acme_plant,
        influence=3, attitude=-2, notes="Gooseberry remark: wants a discount",
    )  # fmt: skip
    late = interaction_services.commitment_create(
        actor=world.rep, account=world.acme_plant, owed_by="us",
        description="Saffron promise: send the quote", owner_user=world.rep,
    )  # fmt: skip
    Commitment.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=3))  # overdue
    moved = make_contact(
        world.rep, world.acme_plant, first_name="Octavian", last_name="Pemberton",
        title="Plant engineer",
    )  # fmt: skip
    make_interaction(world.rep, world.acme_plant, contacts=[moved], subject="Acme boiler check")
    account_services.contact_move(
        actor=world.rep, contact=moved, to_account=world.globex_it, title="Chief Alchemist"
    )
    head_office = make_contact(
        world.rep, world.acme, first_name="Ottoline", last_name="Quarrington",
        title="Treasurer of the Board",
    )  # fmt: skip
    make_interaction(
        world.rep, world.acme_plant, contacts=[world.acme_buyer, head_office],
        subject="Acme budget round",
    )  # fmt: skip
    emea_partner = make_partner(world.admin, "Eastwind Services")
    account_services.partner_link_create(
        actor=world.admin, partner=emea_partner, account=world.acme_emea, role="installer"
    )
    world.emea_partner_user = make_user(
        Role.PARTNER, full_name="Erin Eastwind", partner=emea_partner
    )


@pytest.fixture
def planted(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _remember(world)
    _differentiate(world)
    _plant(world)
    return world


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_no_route_shows_our_side_or_unseen_people(planted, who, group):
    user = getattr(planted, who)
    client = Client(raise_request_exception=True)
    client.force_login(user)
    routes = [r for r in ROUTES if _group(r) == group]

    problems, requests = _sweep(client, user, OUTSIDERS[who], routes, _queries(planted))

    assert problems == [], "\n".join(problems)
    print(f"{who} {group}: {len(routes)} routes, {requests} requests")


def test_every_planted_word_is_shown_to_an_admin(planted):
    """The planted words do appear to an admin: their absence for outsiders means something."""
    client = Client(raise_request_exception=True)
    client.force_login(planted.admin)
    unseen = set(INTERNAL_WORDS + MOVED_WORDS + HEAD_OFFICE_WORDS)
    every = _every_id()
    for route in ROUTES:
        for values in _values(route, every):
            body = _body(client.get(_fill(route, values)))
            unseen -= {word for word in unseen if word in body}
            if not unseen:
                return
    assert sorted(unseen) == []
