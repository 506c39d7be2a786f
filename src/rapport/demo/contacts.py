"""Demo people: contacts, identities, employments and buying roles."""

from __future__ import annotations

import random
import time
from contextlib import nullcontext

import phonenumbers

from rapport.accounts import services
from rapport.accounts.models import (
    AccountKind,
    BuyingRole,
    BuyingRoleKind,
    Contact,
    ContactIdentity,
    Employment,
    IdentityKind,
)
from rapport.analytics import contact_points
from rapport.demo.conversations import BLOCKER_NOTES, CHAMPION_NOTES, CONTACT_NOTES
from rapport.demo.names import slug
from rapport.demo.sizes import BULK_LOAD_MIN, DAY, HISTORY_DAYS, ROW_BATCH
from rapport.demo.state import Customer, DemoState, Unit
from rapport.demo.world import (
    COUNTRIES,
    DIV_HEADS,
    DIV_LEADS,
    DIV_STAFF,
    FUNCTIONS,
    SITE_FAMILIES,
    SMALL_EXECS,
    SMALL_STAFF,
    Industry,
)
from rapport.demo.writer import indexes_rebuilt_after


class ContactsMixin(DemoState):
    """The people of every customer unit, their identities and buying roles."""

    # -- contacts, identities, employments, buying roles ------------------------------------

    def contacts(self) -> None:
        t0 = time.perf_counter()
        rng = self.rng
        self._c_rows: list[tuple] = []
        self._i_rows: list[tuple] = []
        self._e_rows: list[tuple] = []
        self._r_rows: list[tuple] = []
        self.counts.update(contacts=0, identities=0, employments=0, buying_roles=0)
        self._contact_id = self._ids(Contact, self.p["contacts"])
        self._staff_no = 0
        n_customers = len(self.customers)
        bulk = self.p["contacts"] >= BULK_LOAD_MIN // 5
        tables = [Contact, ContactIdentity, Employment, BuyingRole]
        with indexes_rebuilt_after(tables, self.say) if bulk else nullcontext():
            for c in self.customers:
                self._contacts_for(c, rng, n_customers)
                if len(self._c_rows) >= ROW_BATCH:
                    self._flush_contacts()
            self._flush_contacts()
        self.say(
            f"contacts: {self.counts['contacts']:,} with {self.counts['identities']:,} "
            f"identities, {self.counts['employments']:,} employments, "
            f"{self.counts['buying_roles']:,} buying roles "
            f"({time.perf_counter() - t0:.1f} s)"
        )

    def _flush_contacts(self) -> None:
        w = self.w
        w.write(
            Contact,
            (
                "id",
                "created_at",
                "updated_at",
                "customer_id",
                "account_id",
                "first_name",
                "last_name",
                "title",
                "reports_to_id",
                "status",
                "notes",
                "street",
                "postcode",
                "city",
                "region",
                "country",
            ),
            self._c_rows,
        )
        w.write(
            ContactIdentity,
            (
                "id",
                "created_at",
                "updated_at",
                "contact_id",
                "customer_id",
                "kind",
                "value",
                "normalized",
                "is_primary",
                "shared",
            ),
            self._i_rows,
        )
        w.write(
            Employment,
            ("id", "contact_id", "account_id", "customer_id", "title", "started_on", "ended_on"),
            self._e_rows,
        )
        w.write(
            BuyingRole,
            (
                "id",
                "created_at",
                "updated_at",
                "contact_id",
                "account_id",
                "customer_id",
                "role",
                "influence",
                "attitude",
                "notes",
            ),
            self._r_rows,
        )
        self.counts["contacts"] += len(self._c_rows)
        self.counts["identities"] += len(self._i_rows)
        self.counts["employments"] += len(self._e_rows)
        self.counts["buying_roles"] += len(self._r_rows)
        self._c_rows, self._i_rows, self._e_rows, self._r_rows = [], [], [], []

    def _title(
        self, u: Unit, lead_no: int | None, tree_depth: int, ind: Industry, used: set[str]
    ) -> tuple[str, str]:
        """A title fitting the unit, and the buying kind (tech/buy/money/other)."""
        rng = self.rng
        if lead_no is not None:  # a leader of the unit
            if u.depth == 1:
                pool = SMALL_EXECS if tree_depth <= 2 else ind.execs
                if lead_no == 0:
                    title = pool[0]
                else:
                    rest = [t for t in pool[1:] if t not in used] or list(pool[1:])
                    title = rng.choice(rest)
                used.add(title)
            elif u.kind == AccountKind.DIVISION:
                if lead_no == 0:
                    title = f"{rng.choice(DIV_HEADS)}, {u.name}"
                else:
                    title = DIV_LEADS[(u.idx * 7 + lead_no) % len(DIV_LEADS)]
            elif u.kind == AccountKind.SITE:
                title = rng.choice(SITE_FAMILIES[u.family]["head"])
            elif u.family == "team":
                title = f"{u.name} Manager" if rng.random() < 0.7 else f"Team Lead {u.name}"
            else:
                title = rng.choice(FUNCTIONS[u.func]["head"])  # type: ignore[index]
        else:
            if u.depth == 1:
                title = rng.choice(SMALL_STAFF if tree_depth <= 2 else DIV_STAFF)
            elif u.kind == AccountKind.DIVISION:
                title = rng.choice(DIV_STAFF)
            elif u.kind == AccountKind.SITE or (u.family == "team" and u.func is None):
                fam = u.family if u.kind == AccountKind.SITE else u.parent.family  # type: ignore[union-attr]
                title = rng.choice(SITE_FAMILIES[fam]["staff"])
            else:
                title = rng.choice(FUNCTIONS[u.func]["staff"])  # type: ignore[index]
            if rng.random() < 0.12 and not title.startswith(("Senior", "Head", "Chief")):
                title = f"Senior {title}"
        return title, _buying_kind(title, u)

    def _contacts_for(self, c: Customer, rng: random.Random, n_customers: int) -> None:
        rnd, w = self.rnd, self.w
        ind = c.industry
        root = c.root
        root_id = root.id
        tree_depth = max(u.depth for u in c.units)
        used_titles: set[str] = set()
        names = self.names
        hq_locales = self.hq_locales
        # members: (id, unit, level, title, buying kind, active, first, last)
        members: list[tuple] = []
        heads: dict[int, int] = {}  # unit idx -> member idx of its first leader
        erp_k = 0
        erp_prefix = rng.choice(("C", "K", "CRM-", "SAP-", "P"))
        erp_lower = rng.random() < 0.3
        place_rng = self.place_rng
        switchboards: dict[tuple[str, str, str], tuple[str, str]] = {}
        for u in c.units:
            # A site's switchboard: one number that several of its people give as theirs.
            site = (u.street, u.postcode, u.city)
            if site not in switchboards:
                switchboards[site] = self._phone(u, place_rng)
            loc = COUNTRIES[u.country][0]
            for j in range(u.n_lead + u.n_staff):
                lead_no = j if j < u.n_lead else None
                title, bkind = self._title(u, lead_no, tree_depth, ind, used_titles)
                lc = loc if rnd() < 0.88 else hq_locales[int(rnd() * len(hq_locales))]
                fpool, lpool = names.first(lc), names.last(lc)
                first, last = fpool[int(rnd() * len(fpool))], lpool[int(rnd() * len(lpool))]
                # The e-mail knows the whole name; the record may not. Now and then a
                # person was entered with only a surname, or only an e-mail address.
                email = self._email(first, last, c.domain)
                if lead_no is None:
                    self._staff_no += 1
                    if self._staff_no % 29 == 7:
                        first = ""
                    elif self._staff_no % 53 == 19:
                        first = last = ""
                cid = self._contact_id
                self._contact_id += 1
                mi = len(members)
                # Org chart: leaders report up the tree, staff to their unit's head.
                if lead_no == 0 and u.depth == 1:
                    boss = None
                elif lead_no is not None and lead_no > 0:
                    boss = heads.get(u.idx)
                else:
                    boss = None
                    anc = u.parent if lead_no == 0 else u
                    while anc is not None:
                        boss = heads.get(anc.idx)
                        if boss is not None:
                            if anc.depth == 1 and root.n_lead > 1 and rnd() < 0.5:
                                boss = int(rnd() * root.n_lead)  # another executive
                            break
                        anc = anc.parent
                if lead_no == 0:
                    heads[u.idx] = mi
                # Dates: most joined before the three years, some within; a few left.
                r = rnd()
                if r < 0.8:
                    start = self.anchor - int((3.2 + rnd() * 12) * 365) * DAY
                else:
                    start = self.anchor - int(30 + rnd() * (HISTORY_DAYS - 30)) * DAY
                end = None
                status = "active"
                if rnd() < 0.03 and not (lead_no == 0 and u.depth == 1):
                    status = "left"
                    end = max(start + 120 * DAY, self.anchor - int(20 + rnd() * 900) * DAY)
                    if end >= self.anchor:
                        end = self.anchor - DAY
                mover_from = None
                if rnd() < 0.02 and n_customers > 1 and status == "active":
                    mover_from = self.customers[int(rnd() * n_customers)]
                    if mover_from is c:
                        mover_from = None
                    else:
                        start = self.anchor - int(60 + rnd() * 840) * DAY
                created = min(max(c.created, start) + int(rnd() * 30) * DAY, self.anchor - 3600)
                boss_id = members[boss][0] if boss is not None else None
                notes = CONTACT_NOTES[int(rnd() * len(CONTACT_NOTES))] if rnd() < 0.05 else ""
                self._c_rows.append(
                    (
                        cid,
                        w.ts(created),
                        w.ts(max(created, end or 0)),
                        root_id,
                        u.id,
                        first,
                        last,
                        title,
                        boss_id,
                        status,
                        notes,
                        u.street,
                        u.postcode,
                        u.city,
                        u.region,
                        u.country,
                    )
                )
                members.append((cid, u, lead_no, title, bkind, status == "active", first, last))
                name = f"{first} {last}".strip() or email
                c.pool.append((cid, u.idx, start, end or self.anchor + DAY, name))
                # Identities
                value = email if rnd() < 0.8 else _capitalise_email(email)
                shared = services.identity_is_shared(IdentityKind.EMAIL, email)
                ident_ts = w.ts(created)
                iid = self._ids(ContactIdentity, 1)
                self._i_rows.append(
                    (iid, ident_ts, ident_ts, cid, root_id, "email", value, email, True, shared)
                )
                direct = rnd() < 0.6
                if direct:
                    phone, norm = self._direct_line(u)
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (iid, ident_ts, ident_ts, cid, root_id, "phone", phone, norm, True, True)
                    )
                # Beside their own line, some give the site's switchboard (never primary:
                # it reaches them, it does not name them).
                if direct and lead_no is None and place_rng.random() < 0.4:
                    phone, norm = switchboards[site]
                    iid = self._ids(ContactIdentity, 1)
                    row = (iid, ident_ts, ident_ts, cid, root_id, "phone", phone, norm)
                    self._i_rows.append((*row, False, True))
                if rnd() < 0.3:
                    erp_k += 1
                    erp = f"{erp_prefix}{c.seq:05d}-{erp_k:04d}"
                    if erp_lower:
                        erp = erp.lower()
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (
                            iid,
                            ident_ts,
                            ident_ts,
                            cid,
                            root_id,
                            "erp_id",
                            erp,
                            erp.upper(),
                            True,
                            False,
                        )
                    )
                # Employment (closed for those who left) and a previous one for movers.
                eid = self._ids(Employment, 1)
                self._e_rows.append(
                    (eid, cid, u.id, root_id, title, w.day(start), w.day(end) if end else None)
                )
                if mover_from is not None:
                    old = mover_from
                    old_unit = old.units[int(rnd() * len(old.units))]
                    old_end = start - int(rnd() * 60) * DAY
                    old_start = old_end - int((1.5 + rnd() * 6) * 365) * DAY
                    old_title = (
                        rng.choice(FUNCTIONS[old_unit.func]["staff"])
                        if old_unit.func
                        else rng.choice(SMALL_STAFF)
                    )
                    eid = self._ids(Employment, 1)
                    self._e_rows.append(
                        (
                            eid,
                            cid,
                            old_unit.id,
                            old.root.id,
                            old_title,
                            w.day(old_start),
                            w.day(old_end),
                        )
                    )
                    old_email = self._email(first, last, old.domain)
                    iid = self._ids(ContactIdentity, 1)
                    self._i_rows.append(
                        (
                            iid,
                            ident_ts,
                            ident_ts,
                            cid,
                            root_id,
                            IdentityKind.EMAIL,
                            old_email,
                            old_email,
                            False,
                            services.identity_is_shared(IdentityKind.EMAIL, old_email),
                        )
                    )
                    old.alumni.append((cid, old_unit.idx, old_start, old_end, name))
        self._roles_for(c, members)

    def _email(self, first: str, last: str, domain: str) -> str:
        f, la = slug(first, "-") or "info", slug(last, "-") or "contact"
        for local in (f"{f}.{la}", f"{f[0]}.{la}", f"{f}.{la[0]}"):
            email = f"{local}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        k = 2
        while f"{f}.{la}{k}@{domain}" in self.emails:
            k += 1
        email = f"{f}.{la}{k}@{domain}"
        self.emails.add(email)
        return email

    def _direct_line(self, u: Unit) -> tuple[str, str]:
        """A person's own number. It takes the three draws of the main stream a number
        always took (so that the rest of the seed's world stays as it was) and finds a
        valid number of the unit's country from them."""
        rng = self.rng
        if COUNTRIES[u.country][2] == "1":
            draws: tuple[float, ...] = (
                rng.randint(201, 989),
                rng.randint(200, 999),
                rng.randint(0, 9999),
            )
        else:
            draws = (rng.randint(2, 99), rng.random(), rng.randint(100_000, 9_999_999))
        return self._phone(u, random.Random(repr(draws)))

    def _phone(self, u: Unit, rng: random.Random) -> tuple[str, str]:
        """A new fixed-line number in the unit's country, written as people there write it
        (nationally, or internationally), and its E.164 form as identity_add keeps it."""
        region = contact_points.country_code(u.country) or "GB"
        example = phonenumbers.example_number_for_type(
            region, phonenumbers.PhoneNumberType.FIXED_LINE
        )
        if example is None:  # every country the demo places people in has one
            raise ValueError(f"no example phone number for {region}")
        # The significant digits keep Italy's leading zero (+39 02 …), national_number not.
        digits = phonenumbers.national_significant_number(example)
        keep = min(len(digits) - 4, 3)
        for _ in range(10_000):
            tail = "".join(str(rng.randint(0, 9)) for _ in range(len(digits) - keep))
            number = phonenumbers.parse(f"+{example.country_code}{digits[:keep]}{tail}", None)
            if not phonenumbers.is_valid_number(number):
                continue
            style = (
                phonenumbers.PhoneNumberFormat.NATIONAL
                if rng.random() < 0.55
                else phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            value = phonenumbers.format_number(number, style)
            # Stored as identity_add stores it: read in the contact's country.
            value, norm = services.identity_check(IdentityKind.PHONE, value, region=region)
            if norm not in self.phones:
                self.phones.add(norm)
                return value, norm
        raise ValueError(f"no free phone number found for {region}")

    def _roles_for(self, c: Customer, members: list[tuple]) -> None:
        """Buying roles: decision maker and approver at the top, evaluators in the
        divisions, end users in the departments; with deliberate gaps."""
        rng, rnd, w = self.rng, self.rnd, self.w
        root = c.root
        seen: set[tuple[int, int, str]] = set()
        rows = self._r_rows

        def add(
            m: tuple,
            unit: Unit,
            role: str,
            influence: int,
            attitude: int | None = None,
            notes: str = "",
        ) -> None:
            key = (m[0], unit.id, role)
            if key in seen or not m[5]:
                return
            seen.add(key)
            if m[2] is None:  # staff weigh less than the people who lead units
                influence = min(influence, 3)
            if attitude is None:
                attitude = rng.choices((-2, -1, 0, 1, 2), weights=(2, 8, 45, 35, 10))[0]
            t = w.ts(min(c.created + int(rnd() * 400) * DAY, self.anchor - 3600))
            rid = self._ids(BuyingRole, 1)
            rows.append((rid, t, t, m[0], unit.id, root.id, str(role), influence, attitude, notes))

        active = [m for m in members if m[5]]
        if not active:
            return
        execs = [m for m in active if m[1] is root and m[2] is not None]
        br = BuyingRoleKind
        if execs:
            if rnd() < 0.9:
                add(
                    execs[0],
                    root,
                    br.DECISION_MAKER,
                    5 if rnd() < 0.7 else 4,
                    rng.choice((0, 1, 1, 2)),
                )
            money = [m for m in execs[1:] if m[4] == "money"]
            if money and rnd() < 0.85:
                add(money[0], root, br.APPROVER, rng.randint(4, 5))
            elif len(execs) == 1 and rnd() < 0.5:
                add(execs[0], root, br.APPROVER, 5)
            for m in execs[1:]:
                if m[4] == "buy":
                    add(m, root, br.PURCHASING, rng.randint(3, 4))
                elif m[4] == "tech":
                    add(m, root, br.SPECIFIER if rnd() < 0.6 else br.REVIEWER, rng.randint(3, 4))
                elif m[4] == "other" and rnd() < 0.5:
                    add(m, root, br.INFLUENCER, rng.randint(3, 4))
        by_div: dict[int, list[tuple]] = {}
        for m in active:
            by_div.setdefault(m[1].div.idx, []).append(m)
        for u in c.units:
            if u.depth != 2:
                continue
            group = by_div.get(u.idx, [])
            leads = [m for m in group if m[1] is u and m[2] is not None]
            heads = [m for m in group if m[1] is not u and m[2] == 0]
            others = [m for m in group if m[2] is None]
            if u.kind == AccountKind.DIVISION:
                if rnd() < 0.7:  # ~30 % of divisions have no known approver
                    money = (
                        [m for m in leads if m[4] == "money"]
                        or leads
                        or [m for m in heads if m[4] == "money"]
                    )
                    if money:
                        add(money[0], u, br.APPROVER, rng.randint(4, 5))
                if leads and rnd() < 0.35:
                    add(leads[0], u, br.DECISION_MAKER, rng.randint(4, 5))
            tech = [m for m in heads + leads[1:] if m[4] == "tech"]
            if tech and rnd() < 0.65:
                add(tech[int(rnd() * len(tech))], u, br.SPECIFIER, rng.randint(3, 4))
            pool = [m for m in heads + others if m[4] in ("tech", "money")]
            if pool and rnd() < 0.45:
                add(pool[int(rnd() * len(pool))], u, br.REVIEWER, rng.randint(2, 4))
            buyers = [m for m in heads + others if m[4] == "buy"]
            if buyers and rnd() < 0.75:
                add(buyers[int(rnd() * len(buyers))], u, br.PURCHASING, rng.randint(2, 3))
            for _ in range(2):
                cand = heads + others
                if cand and rnd() < 0.5:
                    add(cand[int(rnd() * len(cand))], u, br.INFLUENCER, rng.randint(2, 4))
        # End users: staff in departments, sites and teams (and in a one-node firm).
        for m in active:
            u = m[1]
            if m[2] is None and (
                (u.depth >= 2 and u.kind != AccountKind.DIVISION) or len(c.units) == 1
            ):
                p = 0.6 if m[4] == "tech" or u.kind == AccountKind.SITE else 0.4
                if rnd() < p:
                    add(m, u, br.END_USER, 1 if rnd() < 0.6 else 2)
                if len(c.units) == 1 and m[4] == "buy" and rnd() < 0.7:
                    add(m, u, br.PURCHASING, rng.randint(2, 3))
            elif m[2] == 0 and u.depth >= 3 and rnd() < 0.3:
                add(m, u, br.END_USER, 2)
        champion = None
        if len(active) >= 3 and rnd() < 0.65:
            cand = [m for m in active if m is not (execs[0] if execs else None)]
            champion = cand[int(rnd() * len(cand))]
            add(
                champion,
                champion[1].div,
                br.CHAMPION,
                rng.randint(3, 4) if champion[2] is not None else rng.randint(2, 3),
                2 if rnd() < 0.75 else 1,
                rng.choice(CHAMPION_NOTES),
            )
        if len(active) >= 6 and rnd() < 0.22:
            cand = [
                m
                for m in active
                if m[2] is not None and m is not champion and m is not (execs[0] if execs else None)
            ]
            if cand:
                b = cand[int(rnd() * len(cand))]
                add(
                    b,
                    b[1].div,
                    br.BLOCKER,
                    rng.randint(3, 5),
                    rng.choice((-2, -1)),
                    rng.choice(BLOCKER_NOTES),
                )


def _buying_kind(title: str, unit: Unit) -> str:
    t = title.lower()
    if any(k in t for k in ("financ", "controller", "controlling", "accountant", "treasury")):
        return "money"
    if any(k in t for k in ("procurement", "purchasing", "buyer", "sourcing", "category")):
        return "buy"
    if any(
        k in t
        for k in (
            "engineer",
            "technical",
            "technology",
            "information",
            "it ",
            "maintenance",
            "operations",
            "quality",
            "production",
            "plant",
            "architect",
            "administrator",
            "technician",
            "digital",
        )
    ):
        return "tech"
    if unit.func:
        return FUNCTIONS[unit.func]["kind"]
    return "tech" if unit.kind == AccountKind.SITE else "other"


def _capitalise_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain
