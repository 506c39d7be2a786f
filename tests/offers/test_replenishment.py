"""Replenishment through its doors: order lines in, `rapport replenish`, the due list on the
page and the API, most valuable first, each with the configurations to reorder."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rapport.core.errors import InvalidInput
from rapport.offers import selectors, services
from rapport.offers.models import ReorderForecast
from rapport.valuation import services as valuation_services
from tests.factories import ProductCategoryFactory, make_laptop, make_model_run

pytestmark = pytest.mark.django_db


def _buy(world, account, category, *, every, count, last_days_ago, quantity=10, jitter=0, seed=1):
    """Orders on a rhythm: `count` orders `every` days apart (± jitter), the last some days ago."""
    rng = random.Random(seed)
    today = timezone.localdate()
    rows = []
    day = today - timedelta(days=last_days_ago)
    for n in range(count):
        rows.append(
            {
                "account": account,
                "category": category,
                "ordered_on": day,
                "product": f"Filters batch {n}",
                "quantity": Decimal(quantity),
                "revenue": Decimal(100),
            }
        )
        day -= timedelta(days=every + rng.randint(-jitter, jitter))
    valuation_services.order_lines_bulk_create(actor=world.rep, rows=rows)


def test_each_organisation_is_due_on_its_own_rhythm(world, capsys):
    consumables = ProductCategoryFactory(actor=world.admin, name="Consumables")
    # Acme reorders every 30 days and last ordered 25 days ago: due in about 5 days
    _buy(world, world.acme_plant, consumables, every=30, count=12, last_days_ago=25, jitter=2)
    # Globex every 90 days, last 10 days ago: not due for months
    _buy(world, world.globex_it, consumables, every=90, count=8, last_days_ago=10, jitter=5, seed=2)
    call_command("replenish")
    assert "2 forecasts, 1 due within 14 days" in capsys.readouterr().out
    acme = ReorderForecast.objects.get(customer=world.acme, is_current=True)
    assert acme.orders == 12
    assert 27 <= acme.typical_interval_days <= 33
    assert acme.own_weight > 0.8
    assert 2 <= (acme.next_order_on - timezone.localdate()).days <= 8
    globex = ReorderForecast.objects.get(customer=world.globex, is_current=True)
    assert 80 <= globex.typical_interval_days <= 100
    due = selectors.due_to_reorder(user=world.rep)
    assert [row.forecast.customer for row in due] == [world.acme]
    # without values yet, the soonest first
    later = selectors.due_to_reorder(user=world.rep, within_days=120)
    assert [row.forecast.customer for row in later] == [world.acme, world.globex]
    # A second run keeps the first as history
    call_command("replenish")
    assert ReorderForecast.objects.filter(is_current=True).count() == 2
    assert ReorderForecast.objects.count() == 4


def test_the_most_valuable_come_first_with_their_configurations(world):
    category = ProductCategoryFactory(actor=world.admin, name="Hardware")
    laptop = make_laptop(world, category)
    for account, seed in ((world.acme, 1), (world.globex, 2)):
        _buy(world, account, category, every=30, count=6, last_days_ago=28, seed=seed)
    run = make_model_run("value")
    from rapport.valuation.models import AccountValue

    for customer, value in ((world.acme, 1000), (world.globex, 90000)):
        AccountValue.objects.create(
            run=run, customer=customer, computed_at=timezone.now(), predicted_value=Decimal(value)
        )
    configuration = services.configuration_create(
        actor=world.rep,
        account=world.globex_it,
        name="Field laptop",
        product=laptop,
        options=["i5"],
    )
    call_command("replenish")
    due = selectors.due_to_reorder(user=world.rep)
    assert [row.forecast.customer for row in due] == [world.globex, world.acme]
    assert due[0].configurations == (configuration,)
    api = Client()
    api.force_login(world.rep)
    body = api.get("/api/v1/replenishment").json()
    assert [(r["customer"]["name"], r["configuration_ids"]) for r in body] == [
        ("Globex Corporation", [configuration.pk]),
        ("Acme Industries", []),
    ]
    page = api.get("/replenishment/").content.decode()
    assert page.index("Globex Corporation") < page.index("Acme Industries")
    assert "Field laptop" in page
    assert api.get("/replenishment/?within_days=9999").status_code == 400
    assert api.get("/api/v1/replenishment?within_days=-1").status_code == 400
    # the account page's In use card says what the organisation is due to reorder
    card = api.get(f"/accounts/{world.globex_it.pk}/offers/in-use/").content.decode()
    assert 'data-due-category="Hardware"' in card
    assert "Due to reorder" in card


def test_customers_and_partners_do_not_see_the_due_list(world):
    for user in (world.portal_acme, world.partner_user):
        client = Client()
        client.force_login(user)
        assert client.get("/replenishment/").status_code == 404
        assert client.get("/api/v1/replenishment").status_code == 404
    rep = Client()
    rep.force_login(world.rep)
    assert rep.post("/replenishment/run/").status_code == 403


def test_a_reminder_goes_through_consent_and_is_never_sent_against_it(world):
    from rapport.core.errors import Conflict
    from rapport.interactions.models import Interaction
    from rapport.memory.services import consent_record

    consumables = ProductCategoryFactory(actor=world.admin, name="Consumables")
    _buy(world, world.acme_plant, consumables, every=30, count=6, last_days_ago=28)
    call_command("replenish")
    forecast = ReorderForecast.objects.get(is_current=True)
    before = Interaction.objects.count()
    # The buyer withdrew consent to sales outreach: the reminder is refused, nothing logged
    consent_record(
        actor=world.rep, contact=world.acme_buyer, purpose="sales", status="withdrawn", how="e-mail"
    )
    client = Client()
    client.force_login(world.rep)
    refused = client.post(
        f"/replenishment/{forecast.pk}/remind/",
        {"contact": world.acme_buyer.pk, "channel": "email"},
    )
    assert refused.status_code == 409
    assert "Ben Buyer" in refused.content.decode()
    assert Interaction.objects.count() == before
    with pytest.raises(Conflict):
        services.reorder_remind(actor=world.rep, forecast=forecast, contact=world.acme_buyer)
    # The CFO has not: the reminder is on the timeline, saying when and what
    sent = client.post(
        f"/replenishment/{forecast.pk}/remind/", {"contact": world.acme_cfo.pk, "channel": "email"}
    )
    assert sent.status_code == 302
    reminder = Interaction.objects.latest("id")
    assert reminder.subject == "Time to reorder Consumables?"
    assert "typically ordered every 30 days" in reminder.summary
    assert (reminder.direction, reminder.purpose) == ("outbound", "sales")
    # someone of another organisation cannot be reminded of Acme's reorder
    with pytest.raises(InvalidInput) as wrong:
        services.reorder_remind(actor=world.rep, forecast=forecast, contact=world.globex_cto)
    assert wrong.value.field == "contact"


def test_an_organisation_that_stopped_buying_long_ago_has_lapsed_and_is_not_due(world, capsys):
    consumables = ProductCategoryFactory(actor=world.admin, name="Consumables")
    # Globex bought every 30 days but not for 200 days: more than a whole interval late
    _buy(world, world.globex_it, consumables, every=30, count=8, last_days_ago=200)
    # Acme is 10 days late on its 30-day rhythm: still due
    _buy(world, world.acme_plant, consumables, every=30, count=8, last_days_ago=40, seed=3)
    call_command("replenish")
    assert "2 forecasts, 1 due within 14 days" in capsys.readouterr().out
    due = selectors.due_to_reorder(user=world.rep, within_days=30)
    assert [(row.forecast.customer, row.due_in_days) for row in due] == [(world.acme, -10)]


def test_categories_not_bought_again_and_again_are_not_forecast(world, capsys):
    from rapport.offers.models import ProductCategory

    consulting = ProductCategoryFactory(actor=world.admin, name="Consulting")
    ProductCategory.objects.filter(pk=consulting.pk).update(replenished=False)
    _buy(world, world.acme_plant, consulting, every=30, count=8, last_days_ago=25)
    call_command("replenish")
    assert "0 forecasts" in capsys.readouterr().out
    assert not ReorderForecast.objects.exists()
