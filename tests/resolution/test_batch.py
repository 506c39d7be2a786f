"""Batch resolution: the whole database linked, pairs queued, decisions kept, auto-merge guarded."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command

from rapport.accounts.models import Account, Contact
from rapport.analytics.linkage import Linkage, LinkedPair
from rapport.core.errors import Conflict, PermissionDenied
from rapport.core.models import RunStatus
from rapport.resolution import runners, selectors, services
from rapport.resolution.models import DedupeRun, DuplicatePair, PairStatus
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    """Forty distinct people at Acme and Globex; eight of them entered again by another rep."""
    firsts = [
        "Anna",
        "Bruno",
        "Chloe",
        "Dmitri",
        "Elena",
        "Farid",
        "Greta",
        "Hiro",
        "Ines",
        "Jonas",
    ]
    lasts = ["Almeida", "Brennan", "Castillo", "Dvorak"]
    made = []
    for i, first in enumerate(firsts):
        for j, last in enumerate(lasts):
            made.append(
                make_contact(
                    world.admin,
                    world.acme if (i + j) % 2 else world.globex,
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}@example{j}.org".lower(),
                    phone=f"+44 20 7946 {i:02d}{j:02d}",
                )
            )
    twins = []
    for k, original in enumerate(made[::5]):
        phone = original.identities.get(kind="phone").value
        twin = make_contact(
            world.admin,
            original.account,
            first_name=original.first_name,
            last_name=original.last_name + ("e" if k % 2 else ""),
            email="",
            phone="0" + phone[4:],  # the same number, written the national way
        )
        twins.append((original, twin, k % 2 == 0))
    return twins


def _stub(monkeypatch, pairs):
    def link_records(records, *, kind, threshold=0.5, **kwargs):
        # The runner hands the engine each record by its rank in pk order: the stub's
        # pairs, named by pk, are translated the same way.
        model = Contact if kind == "person" else Account
        pks = model.objects.filter(deleted_at__isnull=True).order_by("pk")
        rank = {
            str(pk): r["id"]
            for pk, r in zip(pks.values_list("pk", flat=True), records, strict=True)
        }
        kept = [
            replace(p, left_id=rank[p.left_id], right_id=rank[p.right_id])
            for p in pairs
            if p.left_id in rank and p.right_id in rank
        ]
        clusters = [[p.left_id, p.right_id] for p in kept]
        return Linkage(kept, clusters, "stub", "0", {"records": len(records)})

    monkeypatch.setattr("rapport.analytics.linkage.link_records", link_records)


def test_the_cli_finds_the_people_entered_twice(world, people):
    # When the batch run goes over every contact
    call_command("dedupe", "--kind", "contacts")

    # Then each person entered twice under the same name is a pending pair, with evidence
    run = DedupeRun.objects.get()
    assert (run.status, run.records, run.model_name) == (RunStatus.DONE, 51, "splink-fs")
    pending = DuplicatePair.objects.filter(status=PairStatus.PENDING)
    found = {frozenset((p.left_contact_id, p.right_contact_id)): p for p in pending}
    for original, twin, same_name in people:
        if same_name:
            pair = found[frozenset((original.pk, twin.pk))]
            assert pair.probability >= 0.5
            assert not pair.not_sure
            assert pair.evidence["phones"] == "same number"
            assert pair.cluster.startswith(f"{run.pk}-")
    assert run.pairs_found == len(found) >= 4
    assert run.seconds is not None


def test_a_rejected_pair_stays_rejected_and_pending_pairs_are_refreshed(world, monkeypatch):
    a = make_contact(world.admin, world.acme, first_name="Ola", last_name="Nordmann")
    b = make_contact(world.admin, world.acme, first_name="Ola", last_name="Nordman")
    c = make_contact(world.admin, world.acme, first_name="Kari", last_name="Nordmann")
    _stub(
        monkeypatch,
        [
            LinkedPair(str(a.pk), str(b.pk), 0.97, {"surname": "one typo"}),
            LinkedPair(str(a.pk), str(c.pk), 0.6, {"surname": "exact"}),
        ],
    )
    runners.dedupe_run_execute(run=services.dedupe_run_create(actor=world.rep, kind="contact"))
    ab = DuplicatePair.objects.get(left_contact=a, right_contact=b)
    services.pair_decide(actor=world.rep, pair=ab, status="rejected")

    second = runners.dedupe_run_execute(
        run=services.dedupe_run_create(actor=world.rep, kind="contact")
    )

    assert second.pairs_new == 0
    assert DuplicatePair.objects.get(pk=ab.pk).status == PairStatus.REJECTED
    assert DuplicatePair.objects.get(left_contact=a, right_contact=c).run == second
    assert [p.pk for p in selectors.pair_list(user=world.rep).items] == [
        DuplicatePair.objects.get(left_contact=a, right_contact=c).pk
    ]


def test_auto_merge_only_when_an_admin_allowed_it(world, monkeypatch):
    a = make_contact(world.admin, world.acme, first_name="Ola", last_name="Nordmann")
    b = make_contact(world.admin, world.acme, first_name="Ola", last_name="Nordman")
    _stub(monkeypatch, [LinkedPair(str(a.pk), str(b.pk), 0.995, {"surname": "one typo"})])

    with pytest.raises(Conflict):
        services.dedupe_run_create(actor=world.admin, kind="contact", auto_merge_above=0.99)
    with pytest.raises(PermissionDenied):
        services.settings_update(actor=world.manager, auto_merge_enabled=True)
    with pytest.raises(CommandError):
        call_command("dedupe", "--kind", "contacts", "--auto-merge-above", "0.99")

    services.settings_update(actor=world.admin, auto_merge_enabled=True)
    with pytest.raises(PermissionDenied):
        services.dedupe_run_create(actor=world.rep, kind="contact", auto_merge_above=0.99)
    call_command("dedupe", "--kind", "contacts", "--auto-merge-above", "0.99")

    assert not Contact.objects.filter(pk=b.pk).exists()
    assert DuplicatePair.objects.get().status == PairStatus.ACCEPTED
    merge = DuplicatePair.objects.get().merges.get()
    assert (merge.automatic, merge.merged_by) == (True, world.admin)


def test_the_task_runs_a_queued_run_with_progress(world, monkeypatch):
    from rapport.resolution.tasks import dedupe_run

    _stub(monkeypatch, [])
    run = services.dedupe_run_create(actor=world.rep, kind="account")
    dedupe_run.enqueue(run.pk)
    run.refresh_from_db()
    assert (run.status, run.progress, run.records) == (RunStatus.DONE, 100, 5)


def test_dedupe_keys_fills_what_a_bulk_load_left_empty(world):
    Contact.all_objects.filter(pk=world.acme_cfo.pk).update(match_key="")
    Account.objects.filter(pk=world.globex.pk).update(match_key="", web_domain="")
    call_command("dedupe", "--keys")
    assert Contact.objects.get(pk=world.acme_cfo.pk).match_key == "F520C640"
    assert Account.objects.get(pk=world.globex.pk).match_key == "G412"


def _organisations_file() -> str:
    """Twelve organisations, each with departments at its head office (one with the same
    department in two divisions); one organisation entered twice."""
    rows = ["id,name,parent,website,street,postcode,city,country"]
    towns = ["Leeds", "Lyon", "Graz", "Porto", "Gent", "Turku"]
    streets = ["Harbour Road", "Mill Lane", "Kirchgasse", "Rua Nova", "Veldstraat", "Aurakatu"]
    for n, name in enumerate(
        [
            "Northwind",
            "Globex",
            "Initech",
            "Umbrella",
            "Hooli",
            "Vandelay",
            "Soylent",
            "Cyberdyne",
            "Tyrell",
            "Wonka",
            "Stark",
            "Wayne",
        ]
    ):
        town = towns[n % len(towns)]
        address = f"{n + 1} {streets[n // 2]},{n + 1:05d},{town},GB"
        rows.append(f"O{n},{name} Holdings Ltd,,https://{name.lower()}.example,{address}")
        for unit in ("Procurement", "Quality Management", "Asset Management", "Finance"):
            rows.append(f"O{n}-{unit[:3]},{unit},O{n},,{address}")
        if n == 0:
            for division in ("Plastics", "Metals"):
                rows.append(f"O0-{division},{division},O0,,{address}")
                rows.append(f"O0-{division}-P,Procurement,O0-{division},,{address}")
    rows.append("X1,Northwind Holdings,,https://northwind.example,,,Leeds,GB")
    return "\n".join(rows) + "\n"


def test_units_of_one_organisation_at_its_head_office_are_not_duplicates(world, tmp_path):
    # Given organisations imported with their departments, all at the head office
    path = tmp_path / "organisations.csv"
    path.write_text(_organisations_file())
    call_command("import", "accounts", str(path), "--as", world.rep.email)

    # When the batch run goes over every account
    call_command("dedupe", "--kind", "accounts")

    # Then the organisation entered twice is found, and nothing else:
    # not a department and its organisation, not two departments at one address, not
    # Procurement in two divisions, not the same department at two customers
    found = {
        frozenset(Account.objects.filter(pk__in=pair).values_list("name", "customer__name"))
        for pair in DuplicatePair.objects.filter(kind="account").values_list(
            "left_account_id", "right_account_id"
        )
    }
    assert found == {
        frozenset(
            {
                ("Northwind Holdings Ltd", "Northwind Holdings Ltd"),
                ("Northwind Holdings", "Northwind Holdings"),
            }
        ),
    }


@pytest.mark.parametrize(
    ("left", "right", "apart"),
    [
        ("0001", "0002", False),  # two organisations: perhaps one entered twice
        ("0001", "00010003", True),  # an organisation and its unit
        ("0001", "000100030001", True),  # and a unit of its unit
        ("00010001", "00010002", False),  # two units of one parent: perhaps one twice
        ("000100010001", "000100020001", True),  # units of two divisions
        ("00010001", "00020001", True),  # units of two customers
        ("00010001", "0002", False),  # a unit entered again as an organisation
    ],
)
def test_the_tree_rules_out_relatives_and_units_of_different_parents(left, right, apart):
    assert runners.apart_in_tree(left, right) is apart
    assert runners.apart_in_tree(right, left) is apart
