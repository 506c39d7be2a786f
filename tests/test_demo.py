"""The demo data generator: sizes, valid trees, consistent counters, determinism."""

from __future__ import annotations

import io
import itertools
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from rapport.accounts import services
from rapport.accounts.models import (
    Account,
    BuyingRole,
    Contact,
    ContactIdentity,
    Employment,
    LifecycleChange,
    Partner,
    PartnerLink,
)
from rapport.core.models import Role, User
from rapport.demo import buying, contacts, duplicates, interactions
from rapport.demo.generator import generate
from rapport.demo.sizes import SIZES
from rapport.interactions.models import Interaction, Participant
from rapport.memory.models import Fact
from rapport.offers.models import ProductCategory
from rapport.resolution.models import DedupeRun, DuplicatePair
from rapport.valuation.costs import costs_to_serve
from rapport.valuation.models import (
    JudgementScore,
    ModelRun,
    OrderLine,
    Subscription,
    TierAssignment,
    WalletEstimate,
)

pytestmark = pytest.mark.django_db

TINY = SIZES["tiny"]


@pytest.fixture
def tiny() -> dict[str, int]:
    return generate(size="tiny", seed=7, flush=True, recompute=False)


def test_tiny_has_the_stated_counts(tiny: dict[str, int]) -> None:
    assert Account.objects.filter(depth=1).count() == TINY["accounts"] == tiny["accounts"]
    assert Contact.all_objects.count() == TINY["contacts"] == tiny["contacts"]
    assert Interaction.all_objects.count() == TINY["interactions"] == tiny["interactions"]
    assert Partner.all_objects.count() == TINY["partners"] == tiny["partners"]
    assert Account.objects.filter(depth__gt=1).count() == tiny["units"]
    assert Participant.objects.count() == tiny["participants"]
    assert ContactIdentity.all_objects.count() == tiny["identities"]
    assert Employment.objects.count() == tiny["employments"]
    assert BuyingRole.all_objects.count() == tiny["buying_roles"]
    assert PartnerLink.all_objects.count() == tiny["partner_links"] >= 1
    assert LifecycleChange.objects.count() == tiny["lifecycle_changes"] >= TINY["accounts"]


def test_people_have_work_addresses_and_some_lack_a_name(tiny: dict[str, int]) -> None:
    contacts = list(Contact.all_objects.select_related("account"))
    for contact in contacts:
        # A person works at their unit's site.
        unit = contact.account
        assert (contact.street, contact.postcode, contact.city, contact.country) == (
            unit.street,
            unit.postcode,
            unit.city,
            unit.country,
        )
        assert all((contact.street, contact.postcode, contact.city))
    assert {c.country for c in contacts} <= {a.country for a in Account.objects.all()}
    surname_only = [c for c in contacts if not c.first_name and c.last_name]
    email_only = [c for c in contacts if not c.first_name and not c.last_name]
    assert surname_only
    assert email_only
    assert all(c.identities.filter(kind="email").exists() for c in email_only)


def test_users_partner_and_portal(tiny: dict[str, int]) -> None:
    demo = User.objects.get(email="demo@rapport.example")
    assert demo.role == Role.ADMIN
    assert demo.full_name == "Dana Demo"
    assert demo.check_password("rapport-demo")
    assert User.objects.filter(role=Role.MANAGER).count() == 4
    assert User.objects.filter(role=Role.REP).count() == 10
    assert User.objects.filter(role=Role.ANALYST).count() == 1
    assert not User.objects.filter(role__in=[Role.MANAGER, Role.REP], is_staff=True).exists()
    partner_user = User.objects.get(email="partner@rapport.example")
    assert partner_user.role == Role.PARTNER
    assert PartnerLink.objects.filter(partner=partner_user.partner).exists()
    portal = User.objects.get(email="portal@rapport.example")
    assert portal.role == Role.PORTAL
    assert portal.account is not None
    assert portal.account.depth == 1
    assert User.objects.get(email="rep@rapport.example").check_password("rapport-demo")


def test_trees_are_valid(tiny: dict[str, int]) -> None:
    assert Account.objects.find_problems() == ([], [], [], [], [])
    # Siblings are stored in name order, as treebeard's node_order_by expects.
    roots = list(Account.objects.get_root_nodes().values_list("name", flat=True))
    assert roots == sorted(roots)
    by_id = {a.id: a for a in Account.objects.all()}
    for account in by_id.values():
        assert account.customer_id is not None
        root = by_id[account.customer_id]
        assert root.depth == 1
        assert account.path.startswith(root.path)
        assert account.lifecycle_stage == root.lifecycle_stage
    assert max(a.depth for a in by_id.values()) >= 2


def test_rows_carry_their_customer(tiny: dict[str, int]) -> None:
    root_of = {a.id: a.customer_id for a in Account.objects.all()}
    for model in (Contact.all_objects, Interaction.all_objects, BuyingRole.all_objects):
        for account_id, customer_id in model.values_list("account_id", "customer_id"):
            assert root_of[account_id] == customer_id
    for contact in Contact.all_objects.select_related("reports_to"):
        if contact.reports_to:
            assert contact.reports_to.customer_id == contact.customer_id
    for p in Participant.objects.select_related("interaction"):
        assert p.occurred_at == p.interaction.occurred_at
        assert p.customer_id == p.interaction.customer_id
        assert (p.contact_id is None) != (p.user_id is None)


def test_counters_match_real_counts(tiny: dict[str, int]) -> None:
    real = dict(
        Interaction.objects.values_list("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    last = dict(
        Interaction.objects.values_list("account_id")
        .annotate(m=Max("occurred_at"))
        .values_list("account_id", "m")
    )
    for account in Account.objects.all():
        assert account.interaction_count == real.get(account.id, 0)
        assert account.last_interaction_at == last.get(account.id)
    engaged = dict(
        Participant.objects.filter(contact__isnull=False)
        .values_list("contact_id")
        .annotate(m=Max("occurred_at"))
        .values_list("contact_id", "m")
    )
    for contact in Contact.all_objects.all():
        assert contact.last_engaged_at == engaged.get(contact.id)


def test_lifecycle_stage_is_the_latest_change(tiny: dict[str, int]) -> None:
    for root in Account.objects.filter(depth=1):
        latest = LifecycleChange.objects.filter(account=root).order_by("-changed_at").first()
        assert latest is not None
        assert latest.stage == root.lifecycle_stage
        changes = list(LifecycleChange.objects.filter(account=root).order_by("changed_at"))
        assert changes[0].previous_stage == ""
        for before, after in itertools.pairwise(changes):
            assert after.previous_stage == before.stage


def test_identities_are_unique_and_normalised(tiny: dict[str, int]) -> None:
    identities = ContactIdentity.objects.select_related("contact__account")
    personal = [(i.kind, i.normalized) for i in identities if not i.shared]
    assert len(set(personal)) == len(personal)
    for identity in identities:
        # Exactly what identity_add would have stored, though the demo bulk-inserts.
        region = services.phone_region(identity.contact)
        assert services.identity_check(identity.kind, identity.value, region=region) == (
            identity.value,
            identity.normalized,
        )
        assert identity.shared == services.identity_is_shared(identity.kind, identity.value)
    phones = [i for i in identities if i.kind == "phone"]
    assert all(i.normalized.startswith("+") for i in phones)
    assert {i.value.startswith("+") for i in phones} == {True, False}  # both ways of writing
    # A site's switchboard is given by several of its people.
    holders = Counter(i.normalized for i in phones)
    assert max(holders.values()) >= 2
    assert Contact.all_objects.filter(status="left").exists() or TINY["contacts"] < 100
    roles = BuyingRole.objects.values_list("role", "influence")
    assert all(1 <= influence <= 5 for _, influence in roles)
    assert {"decision_maker", "end_user"} <= {r for r, _ in roles}


def test_partner_interactions_only_where_linked(tiny: dict[str, int]) -> None:
    linked = set(PartnerLink.objects.values_list("customer_id", "partner_id"))
    for customer_id, partner_id in Interaction.objects.filter(partner__isnull=False).values_list(
        "customer_id", "partner_id"
    ):
        assert (customer_id, partner_id) in linked
    assert not Interaction.objects.filter(Q(channel="partner") & Q(partner__isnull=True)).exists()


def test_same_seed_same_data() -> None:
    def snapshot() -> tuple[list[str], list[str], list[str]]:
        return (
            list(Account.objects.order_by("path").values_list("name", flat=True)),
            list(Contact.all_objects.order_by("id").values_list("last_name", flat=True)),
            list(Interaction.all_objects.order_by("id").values_list("subject", flat=True)),
        )

    first_counts = generate(size="tiny", seed=11, flush=True)
    first = snapshot()
    second_counts = generate(size="tiny", seed=11, flush=True)
    assert second_counts == first_counts
    assert snapshot() == first
    generate(size="tiny", seed=12, flush=True)
    assert snapshot()[0] != first[0]


def test_bulk_path_gives_the_same_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large loads drop and rebuild indexes and write on a second thread: same rows."""

    def snapshot() -> list[tuple]:
        return list(
            Interaction.all_objects.order_by("id").values_list(
                "id", "account_id", "subject", "occurred_at"
            )
        )

    generate(size="tiny", seed=3, flush=True)
    plain = snapshot()
    # Both subjects that switch to the bulk load (indexes dropped, rebuilt after) take it.
    monkeypatch.setattr(contacts, "BULK_LOAD_MIN", 1)
    monkeypatch.setattr(interactions, "BULK_LOAD_MIN", 1)
    generate(size="tiny", seed=3, flush=True)
    assert snapshot() == plain
    assert Account.objects.find_problems() == ([], [], [], [], [])
    assert Participant.objects.filter(contact__isnull=False).exists()


# --------------------------------------------------------------------------------------
# Orders, contracts, wallets, judgements and needs (demo.value)
# --------------------------------------------------------------------------------------

SMALL = SIZES["small"]


@pytest.fixture
def small() -> dict[str, int]:
    return generate(size="small", seed=5, flush=True, recompute=False)


def test_small_has_orders_contracts_wallets_judgements_and_needs(small: dict[str, int]) -> None:
    # Given the small demo (without the models run)
    root_of = dict(Account.objects.values_list("id", "customer_id"))
    today = timezone.localdate()
    # Then every organisation has a hundred order lines on average, in the demo's categories
    assert 8 <= len(buying.CATEGORIES) <= 12
    assert ProductCategory.objects.count() == small["product_categories"] == 10
    # (the order history; orders placed in the Customize demo add lines of their own)
    lines = OrderLine.objects.filter(source="demo").count()
    assert lines == small["order_lines"] == SMALL["accounts"] * buying.LINES_PER_ORGANISATION
    assert OrderLine.objects.filter(source="order").exists()
    for (
        account_id,
        customer_id,
        ordered_on,
        revenue,
        cost,
        discount,
        source,
    ) in OrderLine.objects.values_list(
        "account_id", "customer_id", "ordered_on", "revenue", "cost", "discount", "source"
    ):
        assert root_of[account_id] == customer_id
        assert today - timedelta(days=3 * 365 + 1) <= ordered_on <= today
        assert revenue >= 1
        assert cost >= 0
        assert discount >= 0
        assert source in ("demo", "order")
    assert OrderLine.objects.filter(discount__gt=0).exists()
    assert OrderLine.objects.values("account_id").distinct().count() > SMALL["accounts"]
    # and subscriptions, some of them cancelled at a renewal
    subscriptions = list(Subscription.objects.all())
    assert len(subscriptions) == small["subscriptions"] > 0
    assert {"active", "cancelled"} <= {s.status for s in subscriptions}
    for s in subscriptions:
        assert root_of[s.account_id] == s.customer_id
        assert s.ends_on is None or s.ends_on >= s.started_on
        assert s.recurring_revenue > 0
        assert (s.cancelled_on is not None) == (s.status == "cancelled")
        assert (s.renewal_on is not None) == (s.status in ("active", "pending"))
    # and wallet estimates of both labels people give, none modelled (the model adds those)
    wallets = list(WalletEstimate.objects.select_related("said_by"))
    assert len(wallets) == small["wallet_estimates"]
    current = [w for w in wallets if w.superseded_at is None]
    assert {w.source for w in current} == {"customer_said", "rep_estimated"}
    for w in current:
        assert w.annual_amount > 0
        if w.source == "customer_said":
            assert w.said_by is not None
            assert w.said_by.customer_id == w.customer_id
        else:
            assert w.said_by is None
            assert w.estimated_by_id is not None
    # and managers' judgements with their reasons
    judgements = list(JudgementScore.objects.filter(superseded_at__isnull=True))
    assert len(judgements) >= 3
    assert JudgementScore.objects.count() == small["judgement_scores"]
    managers = set(User.objects.filter(role=Role.MANAGER).values_list("id", flat=True))
    for j in judgements:
        assert 0 <= j.score <= 100
        assert len(j.reason) > 20
        assert j.author_id in managers
    # and need answers for most organisations, only from the needs data set
    need_facts = Fact.objects.filter(attribute__kind="need", superseded_at__isnull=True)
    assert need_facts.count() == small["need_facts"]
    answered = need_facts.values("customer_id").distinct().count()
    assert answered >= SMALL["accounts"] * 0.6


def test_small_has_what_the_models_should_find(small: dict[str, int]) -> None:
    # Given the small demo
    revenue = dict(
        OrderLine.objects.values("customer_id")
        .annotate(r=Sum("revenue"))
        .values_list("customer_id", "r")
    )
    # Then a fifth of the organisations carry most of the revenue
    ranked = sorted((float(r) for r in revenue.values()), reverse=True)
    top = ranked[: max(1, round(len(ranked) * 0.2))]
    assert sum(top) / sum(ranked) > 0.6
    # and a handful of buying organisations lose money after the cost to serve
    today = timezone.localdate()
    start, end = today - timedelta(days=365), today + timedelta(days=1)
    margin = dict(
        OrderLine.objects.filter(ordered_on__gte=start)
        .values("customer_id")
        .annotate(m=Sum(F("revenue") - F("cost")))
        .values_list("customer_id", "m")
    )
    costs = costs_to_serve(start=start, end=end)
    below_zero = [
        pk for pk, m in margin.items() if float(m) - (costs[pk].total if pk in costs else 0) < 0
    ]
    assert 1 <= len(below_zero) <= len(margin) // 4
    # and the need answers hang together (latent profiles): those who need support around
    # the clock say uptime is high or mission-critical far more often than the others
    current = Fact.objects.filter(
        attribute__kind="need", superseded_at__isnull=True, account_id=F("customer_id")
    )
    hours = dict(
        current.filter(attribute__key="need-support-hours").values_list("customer_id", "value")
    )
    uptime = dict(current.filter(attribute__key="need-uptime").values_list("customer_id", "value"))
    both = [(hours[c], uptime[c]) for c in hours.keys() & uptime.keys()]
    critical = [u in ("high", "mission-critical") for h, u in both if h == "24/7"]
    others = [u in ("high", "mission-critical") for h, u in both if h != "24/7"]
    assert len(critical) >= 3
    assert len(others) >= 3
    assert sum(critical) / len(critical) > sum(others) / len(others) + 0.3


def test_value_data_same_seed_same_data() -> None:
    def snapshot() -> list[tuple]:
        return list(
            OrderLine.objects.order_by("id").values_list(
                "customer__name", "account__name", "ordered_on", "product", "revenue", "cost"
            )
        ) + list(
            Subscription.objects.order_by("id").values_list(
                "customer__name", "name", "started_on", "status", "recurring_revenue"
            )
        )

    generate(size="tiny", seed=11, flush=True, recompute=False)
    first = snapshot()
    generate(size="tiny", seed=11, flush=True, recompute=False)
    assert snapshot() == first
    assert len(first) > TINY["accounts"] * buying.LINES_PER_ORGANISATION
    generate(size="tiny", seed=12, flush=True, recompute=False)
    assert snapshot() != first


def test_demo_runs_the_models_with_history() -> None:
    # When the demo is generated with the models run (as `rapport demo` does)
    counts = generate(size="small", seed=5, flush=True)
    # Then value and tiers ran a year ago, six months ago and now, and segments now
    kinds = list(ModelRun.objects.filter(run__status="done").values_list("kind", flat=True))
    assert counts["model_runs"] == len(kinds) == 7
    assert sorted(kinds) == ["segments"] + ["tiers"] * 3 + ["value"] * 3
    # and every organisation has a current tier, and a history of them
    organisations = Account.objects.filter(depth=1).count()
    assert TierAssignment.objects.filter(is_current=True).count() == organisations
    assert TierAssignment.objects.count() == 3 * organisations
    days = set(TierAssignment.objects.values_list("assigned_at__date", flat=True))
    assert len(days) == 3


# --------------------------------------------------------------------------------------
# Planted near-duplicates and the duplicate search
# --------------------------------------------------------------------------------------


def _planted_pairs() -> dict[tuple[str, int, int], str]:
    """(kind, lower id, higher id) -> flaw, from the labels the demo leaves on each copy."""
    planted = {}
    for kind, rows in (
        ("contact", Contact.all_objects.values_list("pk", "notes")),
        ("account", Account.objects.values_list("pk", "description")),
    ):
        for pk, text in rows:
            if label := duplicates.LABEL.search(text or ""):
                planted[(kind, *sorted((pk, int(label["pk"]))))] = label["flaw"]
    return planted


def test_the_duplicate_search_finds_the_planted_near_duplicates(small: dict[str, int]) -> None:
    # Given the small demo, some people and organisations entered twice with every flaw
    planted = _planted_pairs()
    assert len(planted) == small["duplicate_contacts"] + small["duplicate_accounts"]
    assert small["duplicate_contacts"] >= 18
    assert small["duplicate_accounts"] == 4
    assert set(planted.values()) == {*duplicates.CONTACT_FLAWS, *duplicates.ACCOUNT_FLAWS}
    # When the product's duplicate search runs once, as `rapport setup-demo` does
    runs = duplicates.search(progress=lambda _message: None)
    # Then both searches finish and find nearly every planted pair, and little else
    assert [run.status for run in runs] == ["done", "done"]
    found = {
        ("contact", *sorted((left, right)))
        for left, right in DuplicatePair.objects.filter(kind="contact").values_list(
            "left_contact_id", "right_contact_id"
        )
    } | {
        ("account", *sorted((left, right)))
        for left, right in DuplicatePair.objects.filter(kind="account").values_list(
            "left_account_id", "right_account_id"
        )
    }
    hits = found & set(planted)
    # Measured at seeds 5, 7 and 42: 96-100% of the planted pairs found, 89-100% of the
    # pairs found planted (the others: two real demo people or firms alike by chance).
    assert len(hits) >= 0.8 * len(planted)
    assert len(hits) >= 0.75 * len(found)
    assert {planted[pair] for pair in hits} >= set(duplicates.CONTACT_FLAWS) - {"phone format"}


def test_setup_demo_on_an_empty_database_leaves_pairs_in_the_review_queue() -> None:
    # Given an empty database
    assert not Account.objects.exists()
    # When `rapport setup-demo` runs, as `make run` does
    call_command("setup_demo", stdout=io.StringIO())
    # Then the demo is loaded and both duplicate searches ran once, with pairs to review
    runs = DedupeRun.objects.values_list("kind", "run__status")
    assert sorted(runs) == [("account", "done"), ("contact", "done")]
    assert DuplicatePair.objects.filter(kind="contact", status="pending").count() >= 10
    assert DuplicatePair.objects.filter(kind="account", status="pending").exists()
