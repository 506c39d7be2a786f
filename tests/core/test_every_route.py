"""Every URL and API route, walked as a portal user and as a partner user of the wrong
organisation, as a portal user entitled to one unit only (the sibling unit is the other
side) and anonymously: no response may show another organisation's data, none may
be a 500, and no request may change anything.

Each route is called with the id of every row of the model its parameter names (rows of
both organisations and shared rows), plus one id that does not exist; a route whose
parameter is not in `SEGMENT_MODELS` gets every id of every model instead. The walk is
split by user and by group of routes so pytest-xdist spreads it over the workers.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("admin/", "static/", "api/v1/docs", "api/v1/openapi.json")
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_PARAM = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")
API = "api/v1/"
LOGOUT = "/logout/"
# Apps whose rows the sweep watches (nothing may change) and whose ids it tries: every
# rapport app in INSTALLED_APPS, so a new app joins the sweep the day it is installed.
APPS = {app.rsplit(".", 1)[-1] for app in settings.INSTALLED_APPS if app.startswith("rapport.")}
# The model a parameter addresses, by the path (without "api/v1/") up to it: the longest
# matching tail of segments wins. A second parameter names its parent field, so it is
# also tried under its own parent and under the first parent of each organisation.
SEGMENT_MODELS: dict[str, tuple[str, str | None]] = {
    "accounts": ("accounts.Account", None),
    "contacts": ("accounts.Contact", None),
    "partners": ("accounts.Partner", None),
    "partner-links": ("accounts.PartnerLink", None),
    "links": ("accounts.PartnerLink", "partner"),
    "identities": ("accounts.ContactIdentity", "contact"),
    "roles": ("accounts.BuyingRole", "contact"),
    "buying-roles": ("accounts.BuyingRole", "contact"),
    "caps": ("memory.FrequencyCap", "contact"),
    "interactions": ("interactions.Interaction", None),
    "threads": ("interactions.Thread", None),
    "commitments": ("interactions.Commitment", None),
    "interactions/import": ("transfer.IngestionRun", None),
    "ingestions": ("transfer.IngestionRun", None),
    "import/review": ("transfer.IngestionItem", None),
    "ingestion-review": ("transfer.IngestionItem", None),
    "askings": ("memory.Asking", None),
    "facts": ("memory.Fact", None),
    "contradictions": ("memory.Contradiction", None),
    "questionnaires": ("memory.QuestionnaireLink", None),
    "tokens": ("core.ApiToken", None),
    "order-lines": ("valuation.OrderLine", None),
    "subscriptions": ("valuation.Subscription", None),
    "runs": ("valuation.ModelRun", None),
    "segments": ("needs.NeedsSegment", None),
    "duplicates/pairs": ("resolution.DuplicatePair", None),
    "duplicates/runs": ("resolution.DedupeRun", None),
    "merges": ("resolution.MergeRecord", None),
    "import": ("transfer.ImportRun", None),
    "imports": ("transfer.ImportRun", None),
    "products": ("offers.Product", None),
    "catalog": ("offers.Product", None),
    "configurations": ("offers.StandardConfiguration", None),
    "agreements": ("offers.PriceAgreement", None),
    "catalog-entries": ("offers.CatalogEntry", None),
    "orders": ("offers.Order", None),
    "replenishment": ("offers.ReorderForecast", None),
    "treatments": ("offers.SegmentTreatment", None),
    "treatments/segments": ("needs.NeedsSegment", None),
    "portal-invitations": ("accounts.PortalInvitation", None),
    "portal/invitations": ("accounts.PortalInvitation", None),
    "portal-users": ("accounts.PortalEntitlement", None),
    "portal/users": ("accounts.PortalEntitlement", None),
}
MISSING_KEY = "no-such-thing"


def _routes(patterns=None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _clean(route: str) -> str:
    return route.lstrip("^").rstrip("$").replace("\\Z", "")


ROUTES = sorted({_clean(r) for r in _routes() if not _clean(r).startswith(SKIPPED_PREFIXES)})


def _group(route: str) -> str:
    """The API or the pages: two halves of similar cost (each also pays for the world)."""
    return "api" if route.startswith(API) else "web"


GROUPS = sorted({_group(r) for r in ROUTES})


def _params(route: str) -> list[tuple[str, str]]:
    """(the path before it, converter) of each parameter, in order."""
    found = []
    for match in itertools.chain(PARAM.finditer(route), REGEX_PARAM.finditer(route)):
        before = route[: match.start()].removeprefix(API).strip("/")
        converter, name = match.groupdict().get("converter"), match.group("name")
        if converter is None:  # the API's parameters: ids end in "id", the rest are text
            converter = "int" if name == "pk" or name.endswith("_id") else "str"
        found.append((match.start(), before, converter))
    return [(before, converter) for _, before, converter in sorted(found)]


def _model_of(before: str) -> tuple[str, str | None] | None:
    segments = before.split("/")
    for n in range(len(segments), 0, -1):
        tail = "/".join(segments[-n:])
        if tail in SEGMENT_MODELS:
            return SEGMENT_MODELS[tail]
    return None


def _every_id() -> list[int]:
    ids: set[int] = set()
    for model in apps.get_models():
        if model._meta.app_label in APPS and not model.__name__.startswith("Historical"):
            ids |= set(model._base_manager.values_list("pk", flat=True))
    return [*sorted(ids), max(ids, default=0) + 1]


def _pks(label: str) -> list[int]:
    model = apps.get_model(label)
    pks = sorted(model._base_manager.values_list("pk", flat=True))
    return [*pks, (pks[-1] if pks else 0) + 1]


def _values(route: str, every: list[int]) -> list[tuple[Any, ...]]:
    """The parameter values to try: each id of its model, one that is missing, and more."""
    params = _params(route)
    if not params:
        return [()]
    if any(converter != "int" for _, converter in params) or len(params) > 2:
        return list(itertools.product(*(_strings(b, c) for b, c in params)))
    mapped = [_model_of(before) for before, _ in params]
    if any(m is None for m in mapped):
        return [(i,) * len(params) for i in every]
    if len(params) == 1:
        return [(pk,) for pk in _pks(mapped[0][0])]  # type: ignore[index]
    (parent_label, _), (child_label, parent_field) = mapped  # type: ignore[misc]
    child = apps.get_model(child_label)
    natural = list(child._base_manager.values_list(f"{parent_field}_id", "pk"))
    parents = apps.get_model(parent_label)._base_manager.filter(pk__in={p for p, _ in natural})
    group_field = "customer_id" if hasattr(parents.model, "customer_id") else "pk"
    anchors = {}
    for pk, group in parents.order_by("pk").values_list("pk", group_field):
        anchors.setdefault(group, pk)
    missing_parent, missing_child = _pks(parent_label)[-1], _pks(child_label)[-1]
    pairs = set(natural) | {(a, c) for a in anchors.values() for _, c in natural}
    pairs |= {(a, missing_child) for a in anchors.values()} | {(missing_parent, missing_child)}
    return sorted(pairs)


def _strings(before: str, converter: str) -> list[Any]:
    """Values of a text parameter: the names it takes (exports, channels), a missing one."""
    if converter == "int":
        model = _model_of(before)
        return _pks(model[0]) if model else _every_id()
    last = before.rsplit("/", 1)[-1]
    if last in {"export", "exports"}:
        from rapport.transfer.exports import LISTS

        return [*LISTS, MISSING_KEY]
    if last == "frequency-caps":
        from rapport.memory.models import FrequencyCap

        return [*sorted(set(FrequencyCap.objects.values_list("channel", flat=True))), MISSING_KEY]
    if last == "attributes":
        return ["plan-expansion", "need-uptime", MISSING_KEY]
    return [MISSING_KEY, 0]


def _fill(route: str, values: tuple[Any, ...]) -> str:
    parts = iter(values)
    route = REGEX_PARAM.sub(lambda m: str(next(parts)), route)
    return "/" + PARAM.sub(lambda m: str(next(parts)), route)


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every watched table, every field: any change shows."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in APPS:
            state[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return state


def _changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The rows that differ, table by table, to say what a request changed."""
    changed = []
    for label, rows in after.items():
        if rows != before[label]:
            gone = [row for row in before[label] if row not in rows]
            new = [row for row in rows if row not in before[label]]
            changed.append(f"{label}: {gone} -> {new}")
    return changed


def _body(response: Any) -> str:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return content.decode(errors="replace")


def _login_again(client: Client, user: Any) -> None:
    """Walk on as the user, not anonymously, without counting the login as a change."""
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    try:
        client.force_login(user)
    finally:
        user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")


def _queries(world) -> list[str]:
    """Query strings naming each organisation's rows (filters, searches, the duplicate
    check and compare, exports): added to every route without a parameter. The names are
    cut short so a page that echoes its query does not show a watched word."""
    from rapport.accounts.models import Contact

    queries = []
    for org, words in (
        (world.acme, DIFFERENTIATE["acme"]),
        (world.globex, DIFFERENTIATE["globex"]),
    ):
        first, last = words["pending"]
        twins = list(Contact.objects.filter(last_name__startswith=last[:-1]).order_by("pk"))
        params = {
            "q": last[:-1], "name": org.name[:3], "first_name": first[:4],
            "last_name": last[:-1], "email": f"{first}.{last}@example.net".lower(),
            "account": org.pk, "account_id": org.pk, "customer": org.pk, "kind": "contact",
            "first": twins[0].pk, "second": twins[1].pk,
        }  # fmt: skip
        queries.append("?" + urlencode(params))
    return queries


def _sweep(
    client: Client, user: Any, forbidden: list[str], routes: list[str], queries: list[str]
) -> tuple[list[str], int]:
    problems, requests = [], 0
    every = _every_id()
    for route in routes:
        api = route.startswith(API)
        methods = ("get", "post", "put", "patch", "delete") if api else ("get", "post")
        refused: set[str] = set()  # methods the route does not take, whatever the id
        urls = [_fill(route, values) for values in _values(route, every)]
        if not _params(route):
            urls += [urls[0] + query for query in queries]
        for url in urls:
            for method in methods:
                if method in refused:
                    continue
                if method == "get":
                    response = client.get(url)
                else:
                    response = getattr(client, method)(
                        url, data=json.dumps({}), content_type="application/json"
                    )
                requests += 1
                if response.status_code == 405:
                    refused.add(method)
                if url.partition("?")[0] == LOGOUT and user is not None:
                    _login_again(client, user)
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {url}: {response.status_code}")
                body = _body(response)
                leaked = [word for word in forbidden if word in body]
                if leaked:
                    problems.append(f"{method.upper()} {url}: shows {leaked}")
    return problems, requests


def _remember(world) -> None:
    """What each organisation taught us: facts (one contradicted), askings, questionnaires."""
    from rapport.memory import services
    from rapport.memory.selectors import attribute_get

    plans, seats = attribute_get(key="plan-expansion"), attribute_get(key="spec-seats")
    for account, contact, plan in (
        (world.acme, world.acme_cfo, "Acme plant in Lyon"),
        (world.globex, world.globex_cto, "Globex server farm in Oslo"),
    ):
        services.fact_record(
            actor=world.rep,
            attribute=plans,
            value=plan,
            account=account,
            source="user",
            said_by=contact,
        )
        services.fact_record(
            actor=world.rep,
            attribute=plans,
            value=f"{plan} (revised)",
            account=account,
            source="user",
        )
        asking = services.question_ask(actor=world.rep, attribute=seats, account=account)
        services.question_answer(actor=world.rep, asking=asking, value=12)
        services.questionnaire_create(actor=world.rep, attributes=[seats], contact=contact)
    # Where we left off (X2): each organisation's thread, with a commitment each way on it.
    from rapport.interactions import services as interaction_services

    for account, contact, topic in (
        (world.acme_plant, world.acme_buyer, "Acme plant in Lyon"),
        (world.globex_it, world.globex_cto, "Globex server farm in Oslo"),
    ):
        thread = interaction_services.thread_open(actor=world.rep, account=account, title=topic)
        for owed_by, owner in (("us", None), ("customer", contact)):
            interaction_services.commitment_create(
                actor=world.rep,
                account=account,
                owed_by=owed_by,
                description=f"{topic}: next step",
                owner_contact=owner,
                thread=thread,
            )


# What is particular to each organisation in `_differentiate`: the words its rows carry.
DIFFERENTIATE = {
    "acme": {
        "product": "Roadrunner Anvil",
        "wallet": "Tasmania",
        "reason": "Zanzibar",
        "pending": ("Quentin", "Quillfeather"),
        "merged": ("Horatio", "Hawksbill"),
        "imported": "Marzipan Crate",
        "needs": {"need-uptime": "mission-critical", "need-support-hours": "24/7"},
        "configuration": "Stardust kit",
    },
    "globex": {
        "product": "Hammock Turbine",
        "wallet": "Patagonia",
        "reason": "Kilimanjaro",
        "pending": ("Zelda", "Zygmunt"),
        "merged": ("Ignatius", "Ironwood"),
        "imported": "Cardamom Drum",
        "needs": {"need-uptime": "low", "need-cost-reduction": "high"},
        "configuration": "Moonbeam kit",
    },
}


def _differentiate(world) -> None:
    """Each organisation's orders, contracts, wallets, judgement and needs, valued, tiered
    and segmented; a dedupe run with a pending and a merged pair of people in each; an
    import of order lines for each (one good row, one bad)."""
    from rapport.core import services as core_services
    from rapport.core.models import Role
    from rapport.memory import services as memory_services
    from rapport.memory.selectors import attribute_get
    from rapport.resolution import runners as dedupe_runners
    from rapport.resolution import services as resolution_services
    from rapport.resolution.models import DuplicatePair
    from rapport.transfer import services as transfer_services
    from rapport.valuation import runners as value_runners
    from rapport.valuation import services as value_services
    from rapport.valuation.models import AccountValue, CategoryShare, TierAssignment
    from tests.factories import make_contact, make_user

    today = timezone.now().date()
    hardware = value_services.product_category_create(actor=world.manager, name="Hardware")
    service = value_services.product_category_create(actor=world.manager, name="Service")
    orgs = [
        (world.acme, world.acme_plant, world.acme_cfo, DIFFERENTIATE["acme"]),
        (world.globex, world.globex_it, world.globex_cto, DIFFERENTIATE["globex"]),
    ]
    for org, unit, contact, words in orgs:
        for months in (1, 4, 7, 10, 13):
            value_services.order_line_create(
                actor=world.rep, account=unit, category=hardware,
                ordered_on=today - timedelta(days=30 * months),
                product=f"{words['product']} {months}",
                revenue=Decimal(1000 + 10 * months), cost=Decimal(600),
            )  # fmt: skip
        value_services.subscription_create(
            actor=world.rep, account=org, category=service, name=f"{words['product']} care",
            started_on=today - timedelta(days=400), recurring_revenue=Decimal(250),
        )  # fmt: skip
        value_services.wallet_estimate_record(
            actor=world.rep, account=org, category=hardware, annual_amount=Decimal(20000),
            source="rep_estimated", note=f"{words['wallet']} budget, the rep's guess",
        )  # fmt: skip
        value_services.wallet_estimate_record(
            actor=world.rep, account=org, category=service, annual_amount=Decimal(9000),
            source="customer_said", note=f"{words['wallet']} plan, as they told us",
            said_by=contact,
        )  # fmt: skip
        value_services.judgement_record(
            actor=world.manager, customer=org, score=70, reason=f"{words['reason']} expansion"
        )
        memory_services.frequency_cap_set(
            actor=world.rep, contact=contact, channel="email", max_contacts=2, per_days=30
        )
        for key, value in words["needs"].items():
            memory_services.fact_record(
                actor=world.rep, attribute=attribute_get(key=key), value=value,
                account=org, source="user",
            )  # fmt: skip
    # Tokens of other people of each organisation: revoking one's own would be a change.
    for org in (world.acme, world.globex):
        owner = make_user(Role.PORTAL, full_name=f"{org.name} integration", account=org)
        core_services.api_token_create(user=owner, name=f"{org.name} sync")
    runs = value_runners.recompute()
    assert [(r.kind, r.status) for r in runs] == [
        ("value", "done"), ("tiers", "done"), ("segments", "done"),
    ]  # fmt: skip
    for model in (AccountValue, CategoryShare, TierAssignment):
        assert model.objects.filter(customer=world.globex).exists(), model
    # Two people each entered twice in each organisation; the batch run finds all four pairs.
    twins = []
    for _, unit, _, words in orgs:
        for first, last in (words["pending"], words["merged"]):
            email = f"{first}.{last}".lower()
            twins.append(
                tuple(
                    make_contact(world.rep, unit, first_name=first, last_name=name, email=mail)
                    for name, mail in ((last, f"{email}@example.net"), (last[:-1], f"{email}@example.com"))
                )
            )  # fmt: skip
    run = resolution_services.dedupe_run_create(actor=world.rep, kind="contact")
    assert dedupe_runners.dedupe_run_execute(run=run).status == "done", run.error
    for left, right in twins[1::2]:
        pair = DuplicatePair.objects.get(left_contact=left, right_contact=right)
        resolution_services.pair_merge(actor=world.rep, pair=pair, keep="left")
    assert DuplicatePair.objects.filter(status="pending").count() == 2
    # An import of order lines for each organisation, by a rep: one good row, one bad.
    for org, _, _, words in orgs:
        lines = (
            "Account,Order date,Product,Category,Revenue,Cost\n"
            f"{org.name},{today - timedelta(days=20)},{words['imported']},Hardware,800,300\n"
            f"{org.name},not a date,{words['imported']} spare,Hardware,80,30\n"
        )
        upload = transfer_services.import_upload(
            actor=world.rep, kind="order_lines", filename=f"{org.name}.csv", content=lines.encode()
        )
        upload = transfer_services.import_check(actor=world.rep, run=upload)
        upload = transfer_services.import_confirm(actor=world.rep, run=upload, mode="good")
        assert (upload.status, upload.created, upload.failed) == ("done", 1, 1)
    _customize(world, orgs)


def _customize(world, orgs) -> None:
    """Each organisation's own catalog, price agreement, standard configuration (citing a
    fact), a quote and an order: a sale product of the shared catalog priced for each."""
    from rapport.memory.models import Fact
    from rapport.offers import services as offer_services
    from rapport.offers.models import ProductCategory
    from rapport.offers.selectors import LineRequest

    kit = offer_services.product_create(
        actor=world.manager,
        sku="kit-1",
        name="Field kit",
        category=ProductCategory.objects.get(name="Hardware"),
        list_price=Decimal(500),
        cost=Decimal(300),
    )
    for org, unit, _, words in orgs:
        offer_services.catalog_entry_add(actor=world.manager, account=org, product=kit)
        offer_services.price_agreement_create(
            actor=world.manager,
            account=org,
            product=kit,
            kind="discount",
            value="5",
            valid_from=timezone.localdate() - timedelta(days=5),
            note=f"{words['configuration']} terms",
        )
        fact = Fact.objects.filter(customer_id=org.pk, superseded_at__isnull=True).first()
        configuration = offer_services.configuration_create(
            actor=world.rep,
            account=unit,
            name=words["configuration"],
            product=kit,
            quantity=4,
            sources=[fact.pk],
        )
        offer_services.configuration_reorder(actor=world.rep, configuration=configuration)
        offer_services.quote_create(
            actor=world.rep, account=org, lines=[LineRequest(kit.pk, (), Decimal(2))]
        )
    # each organisation's segment treatment and its own (the quiet alerts hold it to them)
    from rapport.needs.models import NeedsSegment

    for org, _, _, words in orgs:
        segment = NeedsSegment.objects.get(is_current=True, members__customer=org)
        offer_services.segment_treatment_set(
            actor=world.manager,
            segment=segment,
            offers=[kit.pk],
            cadence_days=30,
            channel="call",
            note=f"{words['configuration']} treatment",
        )
        offer_services.account_treatment_set(
            actor=world.rep, account=org, cadence_days=21, reason=f"{words['configuration']} own"
        )
    # each organisation's buying rhythm per category (the due list, its reminders)
    from rapport.offers.runners import ReplenishmentRunner

    ReplenishmentRunner.carry_out(ReplenishmentRunner.queue())


def _words(org: str) -> list[str]:
    words = DIFFERENTIATE[org]
    return [
        words["product"], words["wallet"], words["reason"], words["imported"],
        words["configuration"], *words["pending"], *words["merged"],
    ]  # fmt: skip


ACME_WORDS = [
    "Acme", "Carla", "Finch", "Ben Buyer", "Plant Hamburg", "site survey", "Northwind", "Lyon",
    *_words("acme"),
]  # fmt: skip
GLOBEX_WORDS = [
    "Globex", "Greta", "Gold", "Southwind", "renewal terms", "Oslo", *_words("globex"),
]  # fmt: skip
# What Acme's sibling unit holds, unseen by a portal user entitled to Acme EMEA only.
SIBLING_WORDS = ["Acme Americas", "Sibyl", "Sibling", "Toronto kickoff"]
USERS = {
    "portal_acme_unit": SIBLING_WORDS + GLOBEX_WORDS,
    "portal_globex": ACME_WORDS + SIBLING_WORDS,
    "partner_user": GLOBEX_WORDS,
    "portal_acme": GLOBEX_WORDS,
    "anonymous": ACME_WORDS + GLOBEX_WORDS + SIBLING_WORDS,
}


def _portal_doors(world) -> None:
    """Acme's sibling unit with a person and a meeting; portal users and invitations of
    both organisations; and a portal user of Acme who sees Acme EMEA only and may only
    requisition (so nothing it may do changes a row)."""
    from tests.factories import (
        make_account,
        make_contact,
        make_interaction,
        make_portal_invitation,
        make_portal_user,
    )

    americas = make_account(world.admin, "Acme Americas", parent=world.acme)
    sibyl = make_contact(world.admin, americas, first_name="Sibyl", last_name="Sibling")
    make_interaction(world.admin, americas, contacts=[sibyl], subject="Toronto kickoff")
    make_portal_invitation(world.rep, sibyl)
    make_portal_user(world.admin, world.globex_cto, may_administer=True)
    world.portal_acme_unit = make_portal_user(
        world.admin, world.acme_buyer, units=[world.acme_emea]
    )


@pytest.fixture
def remembered(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _portal_doors(world)
    _remember(world)
    _differentiate(world)
    return world


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("who", list(USERS))
def test_no_route_leaks_another_organisation_or_changes_anything(remembered, who, group):
    user = None if who == "anonymous" else getattr(remembered, who)
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    routes = [r for r in ROUTES if _group(r) == group]
    assert routes
    before = _snapshot()

    problems, requests = _sweep(client, user, USERS[who], routes, _queries(remembered))

    assert problems == []
    assert _changes(before, _snapshot()) == []
    me = client.get("/api/v1/me")
    assert me.status_code == (401 if user is None else 200)
    assert user is None or me.json()["email"] == user.email
    print(f"{who} {group}: {len(routes)} routes, {requests} requests")


def test_every_parameter_is_tried_with_ids_of_the_model_it_names(remembered):
    """An admin opening each route with a row of its mapped model finds it (not a 404):
    the id lists above really are the rows each route addresses."""
    client = Client(raise_request_exception=True)
    client.force_login(remembered.admin)
    wrong = []
    tried = 0
    for route in ROUTES:
        params = _params(route)
        if not params or any(c != "int" for _, c in params):
            continue
        mapped = [_model_of(before) for before, _ in params]
        if any(m is None for m in mapped):
            wrong.append(f"{route}: no model for its parameter")
            continue
        child = apps.get_model(mapped[-1][0])
        row = child._base_manager.order_by("pk").first()
        if row is None:
            continue  # nothing of that kind in the world: only the missing id is tried
        values = (row.pk,) if len(params) == 1 else (getattr(row, f"{mapped[-1][1]}_id"), row.pk)
        response = client.get(_fill(route, values))
        tried += 1
        if response.status_code == 404:
            wrong.append(f"{route}: 404 for {values}")
    assert wrong == []
    assert tried > 80


def test_every_watched_word_is_shown_to_someone_allowed_to_see_it(remembered):
    """The words the sweep looks for do appear on some page an admin opens: their absence
    from what the others see means something."""
    client = Client(raise_request_exception=True)
    client.force_login(remembered.admin)
    unseen = set(ACME_WORDS + GLOBEX_WORDS)
    every = _every_id()
    for route in ROUTES:
        for values in _values(route, every):
            body = _body(client.get(_fill(route, values)))
            unseen -= {word for word in unseen if word in body}
            if not unseen:
                return
    assert sorted(unseen) == []
