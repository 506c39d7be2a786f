"""Demo partners and customer organisations: names, account trees, lifecycle, partner links."""

from __future__ import annotations

import math
import time

from rapport.accounts.models import (
    Account,
    AccountKind,
    LifecycleChange,
    LifecycleStage,
    Partner,
    PartnerLink,
)
from rapport.analytics import contact_points
from rapport.demo.conversations import LIFECYCLE_REASONS
from rapport.demo.names import slug
from rapport.demo.sizes import DAY, HISTORY_DAYS, ROW_BATCH, largest_remainder, round_sig
from rapport.demo.state import Customer, DemoState, Unit
from rapport.demo.world import (
    CITY_REGIONS,
    CORE_HEADS,
    CORE_TAILS,
    COUNTRIES,
    FUNCTIONS,
    INDUSTRIES,
    LEGAL_FORMS,
    PARTNER_HEADS,
    PARTNER_NOTES,
    PARTNER_ROLES,
    PARTNER_SUFFIX,
    PARTNER_TAILS,
    PLACE_CORES,
    QUALIFIERS,
    REGIONS,
    SHARED_FUNCTIONS,
    SITE_FAMILIES,
    TEAM_FUNCS,
)


class AccountsMixin(DemoState):
    """Partners, customer plans (names, trees, lifecycle) and their account rows."""

    # -- partners ---------------------------------------------------------------------------

    def partners(self) -> None:
        rng = self.rng
        n = self.p["partners"]
        kinds = list(PARTNER_SUFFIX)
        existing = (
            set(Partner._base_manager.values_list("name", flat=True)) if not self.fresh else set()
        )
        hq = [c for c, v in COUNTRIES.items() if v[3]]
        hq_w = [COUNTRIES[c][3] for c in hq]
        rows, self.partner_list = [], []
        first = self._ids(Partner, n)
        for k in range(n):
            kind = rng.choices(kinds, weights=(30, 25, 15, 15, 15))[0]
            while True:
                name = (
                    f"{rng.choice(PARTNER_HEADS)}{rng.choice(PARTNER_TAILS)} "
                    f"{rng.choice(PARTNER_SUFFIX[kind])}"
                )
                if name not in existing:
                    existing.add(name)
                    break
            country = rng.choices(hq, weights=hq_w)[0]
            since = self.start - rng.randint(0, 6 * 365) * DAY
            note = rng.choice(PARTNER_NOTES).format(
                country=country,
                year=time.gmtime(since).tm_year,
                industry=rng.choice(INDUSTRIES).label.lower(),
            )
            pid = first + k
            created = self.w.ts(since)
            website = f"https://www.{slug(name, '-')}.{COUNTRIES[country][1]}"
            rows.append((pid, created, created, name, str(kind), website, country, note))
            self.partner_list.append((pid, name, kind))
        self.w.write(
            Partner,
            ("id", "created_at", "updated_at", "name", "kind", "website", "country", "notes"),
            rows,
        )
        # Heavy-tailed partner sizes: a few partners serve many accounts.
        self.partner_weights = [rng.paretovariate(1.2) for _ in range(n)]
        self.partner_names = {pid: name for pid, name, _ in self.partner_list}
        self.counts["partners"] = n

    # -- customers: names, trees, lifecycle -------------------------------------------------

    def plan_customers(self) -> None:
        rng, p = self.rng, self.p
        n, n_contacts = p["accounts"], p["contacts"]
        weights = [min(rng.lognormvariate(0, 1.1), 40.0) for _ in range(n)]
        contacts = largest_remainder(weights, n_contacts, 2)
        hq = [c for c, v in COUNTRIES.items() if v[3]]
        hq_w = [COUNTRIES[c][3] for c in hq]
        ind_w = [i.weight for i in INDUSTRIES]
        stage_names = [s for s, _ in STAGES]
        stage_w = [w for _, w in STAGES]
        taken_names: set[str] = set()
        if not self.fresh:
            taken_names = set(Account.objects.filter(depth=1).values_list("name", flat=True))
        taken_domains: set[str] = set()
        customers = []
        for i in range(n):
            c = Customer()
            c.industry = rng.choices(INDUSTRIES, weights=ind_w)[0]
            c.country = rng.choices(hq, weights=hq_w)[0]
            c.city = rng.choice(COUNTRIES[c.country][4][:10])
            c.n_contacts = contacts[i]
            c.name, c.core = self._company_name(c, taken_names)
            c.domain = self._domain(c, taken_domains)
            c.manager = rng.choice(self.writers) if rng.random() < 0.7 else rng.choice(self.reps)
            c.stage = rng.choices(stage_names, weights=stage_w)[0]
            self._lifecycle(c)
            self._tree(c)
            customers.append(c)
        # Roots in name order (treebeard's node_order_by = ["name"]), appended after any
        # roots already present.
        customers.sort(key=lambda c: c.name)
        last_root = (
            Account.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
        )
        offset = Account._str2int(last_root) if last_root else 0
        next_id = self._ids(Account, sum(len(c.units) for c in customers))
        steplen = Account.steplen
        pad = Account.alphabet[0]
        for seq, c in enumerate(customers):
            c.seq = offset + seq + 1  # unique over all roots, so ERP ids are too
            key = Account._int2str(offset + seq + 1)
            c.root.path = pad * (steplen - len(key)) + key
            ordered: list[Unit] = []
            stack = [c.root]
            while stack:  # depth-first, children in name order: ids follow the path order
                u = stack.pop()
                u.id = next_id
                next_id += 1
                u.idx = len(ordered)
                ordered.append(u)
                u.children.sort(key=lambda x: x.name)
                for j, ch in enumerate(u.children):
                    key = Account._int2str(j + 1)
                    ch.path = u.path + pad * (steplen - len(key)) + key
                stack.extend(reversed(u.children))
            for u in ordered:
                u.div = u if u.depth <= 2 else u.parent.div  # type: ignore[union-attr]
            c.units = ordered
        self.customers = customers
        # Interactions: heavy-tailed over customers, a few hold much of the history.
        activity = []
        for c in customers:
            span = max(c.win_end - c.win_start, DAY) / (HISTORY_DAYS * DAY)
            activity.append(
                rng.lognormvariate(0, 0.8) * c.n_contacts * STAGE_ACTIVITY[c.stage] * span**0.7
            )
        # Soften the very largest (beyond ~3 % of all) so that no customer dominates.
        cap = 0.03 * sum(activity)
        activity = [a if a <= cap else cap * (1 + math.log(a / cap)) for a in activity]
        for c, k in zip(customers, largest_remainder(activity, p["interactions"], 1), strict=True):
            c.n_interactions = k
        self.say(
            f"planned {n:,} customers with {sum(len(c.units) - 1 for c in customers):,} "
            f"units, {n_contacts:,} contacts, {p['interactions']:,} interactions"
        )

    def _company_name(self, c: Customer, taken: set[str]) -> tuple[str, str]:
        rng = self.rng
        ind, country = c.industry, c.country
        loc = COUNTRIES[country][0]
        cities = list(COUNTRIES[country][4]) + self.names.cities(loc)
        last_names = self.names.last(loc)
        forms = LEGAL_FORMS.get(country, ("Ltd",))
        for attempt in range(60):
            town = c.city
            if ind.key in ("public", "education"):
                core = town = rng.choice(cities)
                if attempt >= 20:
                    core = f"{rng.choice(QUALIFIERS)} {core}"
                suffix = rng.choice(ind.suffixes)
                if ind.key == "education" and suffix in ("University", "Institute of Technology"):
                    name = f"{suffix} of {core}" if rng.random() < 0.5 else f"{core} {suffix}"
                elif ind.key == "public" and country == "United States" and rng.random() < 0.5:
                    core = f"{rng.choice(last_names)} County"
                    name = f"{core} {suffix}"
                else:
                    name = f"{core} {suffix}"
            else:
                r = rng.random()
                if r < 0.35:
                    core = rng.choice(last_names)
                elif r < 0.45:
                    a, b = rng.sample(last_names, 2)
                    core = f"{a} & {b}"
                elif r < 0.85:
                    core = rng.choice(CORE_HEADS) + rng.choice(CORE_TAILS)
                else:
                    core = rng.choice(PLACE_CORES)
                if attempt >= 30:
                    core = f"{core} {rng.choice(cities)}"
                name = f"{core} {rng.choice(ind.suffixes)} {rng.choice(forms)}"
            if name not in taken and len(name) <= 120:
                taken.add(name)
                c.city = town  # a city's authority or university sits in that city
                return name, core
        k = 2
        while f"{name} {k}" in taken:
            k += 1
        taken.add(f"{name} {k}")
        return f"{name} {k}", core

    def _domain(self, c: Customer, taken: set[str]) -> str:
        tld = COUNTRIES[c.country][1]
        words = slug(c.name.replace(c.core, "").strip(), "-").split("-")
        core = slug(c.core, "-")
        base = f"{core}-{words[0]}" if words and words[0] else core
        for cand in (base, base.replace("-", ""), f"{base}-group", f"{core}-{c.industry.key}"):
            if cand and f"{cand}.{tld}" not in taken:
                taken.add(f"{cand}.{tld}")
                return f"{cand}.{tld}"
        k = 2
        while f"{base}{k}.{tld}" in taken:
            k += 1
        taken.add(f"{base}{k}.{tld}")
        return f"{base}{k}.{tld}"

    def _lifecycle(self, c: Customer) -> None:
        rng = self.rng
        stage = c.stage
        legacy = stage in ("customer", "at_risk", "dormant") and rng.random() < 0.5
        sales = ["prospect", "lead", "opportunity", "customer"]
        if stage == "prospect":
            path = ["prospect"]
        elif stage == "lead":
            path = ["prospect", "lead"]
        elif stage == "opportunity":
            path = ["prospect", "lead", "opportunity"]
        elif stage == "lost" and rng.random() < 0.4:
            path = ["prospect", "lead", "opportunity", "lost"]
        else:
            path = ["customer"] if legacy else list(sales)
            if stage == "customer" and rng.random() < 0.12:
                path += ["at_risk", "customer"]
            elif stage == "at_risk":
                path += ["at_risk"]
            elif stage == "dormant":
                path += ["at_risk", "dormant"] if rng.random() < 0.4 else ["dormant"]
            elif stage == "lost":
                path += ["at_risk", "lost"]
        gaps = {
            "lead": (14, 120),
            "opportunity": (20, 150),
            "customer": (30, 200),
            "at_risk": (90, 500),
            "dormant": (60, 300),
            "lost": (20, 200),
        }
        end_back = {
            "prospect": (3, 300),
            "lead": (3, 240),
            "opportunity": (3, 200),
            "customer": (30, 800),
            "at_risk": (3, 200),
            "dormant": (40, 400),
            "lost": (10, 600),
        }[stage]
        t_end = self.anchor - rng.randint(*end_back) * DAY - rng.randint(8, 18) * 3600
        times = [t_end]
        for s in reversed(path[1:]):
            times.append(times[-1] - rng.randint(*gaps[s]) * DAY)
        times.reverse()
        t_first = self.start + rng.randint(0, 10) * DAY + rng.randint(8, 17) * 3600
        free = 0
        if legacy:  # a customer from before the three years, imported at their start
            times[0] = t_first
            free = 1
        lower = t_first + (30 * DAY if legacy else 0)
        if free < len(times) and times[free] < lower:
            # squeeze the history into the three years, keeping its order
            t0 = times[free]
            for k in range(free, len(times)):
                times[k] = lower + (times[k] - t0) * (t_end - lower) // max(t_end - t0, 1)
        c.stages = list(zip(path, times, strict=True))
        c.created = times[0] - rng.randint(0, 20) * DAY if not legacy else self.start
        c.win_start = times[0]
        c.presale = "customer" not in path
        if stage == "dormant":
            c.win_end = min(self.anchor - DAY, times[-1] + 20 * DAY)
        elif stage == "lost":
            c.win_end = min(self.anchor - DAY, times[-1] + 10 * DAY)
        else:
            c.win_end = self.anchor - 3600
        c.win_end = max(c.win_end, c.win_start + DAY)
        c.trouble = next((t for s, t in c.stages if s in ("at_risk", "lost")), 0)
        c.trouble_end = self.anchor if stage != "customer" else c.trouble + 120 * DAY
        c.shape = {"customer": 0.85, "at_risk": 1.3, "dormant": 1.0, "lost": 1.0}.get(stage, 0.7)

    def _tree(self, c: Customer) -> None:
        rng = self.rng
        n = c.n_contacts
        ind = c.industry
        root = Unit(None, c.name, AccountKind.LEGAL_ENTITY, None, "root", c.city, c.country)
        c.units = [root]
        used_cities = {c.city}
        group_level = False

        def add(
            parent: Unit,
            name: str,
            kind: str,
            func: str | None,
            family: str,
            city: str,
            country: str,
        ) -> Unit:
            u = Unit(parent, name, kind, func, family, city, country)
            parent.children.append(u)
            c.units.append(u)
            return u

        def dept(parent: Unit, func: str) -> Unit:
            name = rng.choice(FUNCTIONS[func]["names"])
            if group_level and parent.depth == 1 and rng.random() < 0.6:
                name = f"Group {name}"  # a corporate function beside the divisions
            return add(
                parent, name, AccountKind.DEPARTMENT, func, "dept", parent.city, parent.country
            )

        def site(parent: Unit, country: str) -> Unit | None:
            loc = COUNTRIES[country][0]
            cities = [
                x for x in (*COUNTRIES[country][4], *self.names.cities(loc)) if x not in used_cities
            ]
            if not cities:
                return None
            city = rng.choice(cities)
            used_cities.add(city)
            name = rng.choice(SITE_FAMILIES[ind.site]["names"]).format(city=city)
            c.sites.append(name)
            return add(parent, name, AccountKind.SITE, None, ind.site, city, country)

        def teams(parent: Unit) -> None:
            if parent.kind == AccountKind.SITE:
                names = SITE_FAMILIES[parent.family]["teams"]
            else:
                names = FUNCTIONS[parent.func]["teams"]  # type: ignore[index]
            for name in rng.sample(names, min(len(names), rng.randint(2, 3))):
                add(
                    parent,
                    name,
                    AccountKind.DEPARTMENT,
                    TEAM_FUNCS.get(name, parent.func),
                    "team",
                    parent.city,
                    parent.country,
                )

        if n < 8:
            pass
        elif n < 25:
            funcs = ["procurement", "finance", "it", *ind.ops]
            k = 2 + (n >= 14) + (n >= 18 and rng.random() < 0.5)
            for f in rng.sample(list(dict.fromkeys(funcs)), k):
                dept(root, f)
            if rng.random() < 0.4:
                site(root, c.country)
        else:
            big = n >= 120
            n_div = min(7, 3 + n // 180) if big else 2 + (n >= 60)
            kinds: list[str] = []
            if rng.random() < (0.75 if big else 0.5):
                kinds.append("shared")
            regions: list[str] = []
            if big and rng.random() < 0.5:
                regions = rng.sample(list(REGIONS), rng.randint(1, 2))
            kinds += ["region"] * len(regions)
            lines = rng.sample(ind.divisions, min(len(ind.divisions), max(1, n_div - len(kinds))))
            kinds += ["line"] * len(lines)
            for kind in kinds:
                if kind == "shared":
                    d = add(
                        root,
                        rng.choice(("Group Functions", "Corporate Services", "Shared Services")),
                        AccountKind.DIVISION,
                        None,
                        "division",
                        c.city,
                        c.country,
                    )
                    for f in rng.sample(SHARED_FUNCTIONS, rng.randint(3, 5 if big else 4)):
                        dept(d, f)
                elif kind == "region":
                    region = regions.pop()
                    countries = REGIONS[region]
                    d = add(root, region, AccountKind.DIVISION, None, "division", "", countries[0])
                    for _ in range(rng.randint(2, 3)):
                        s = site(d, rng.choice(countries))
                        if s and d.city == "":
                            d.city, d.country = s.city, s.country
                    dept(d, "sales")
                else:
                    d = add(
                        root, lines.pop(), AccountKind.DIVISION, None, "division", c.city, c.country
                    )
                    for _ in range(rng.randint(1, 3 if big else 2)):
                        site(
                            d,
                            c.country
                            if rng.random() < 0.8
                            else rng.choice([x for x, v in COUNTRIES.items() if v[3]]),
                        )
                    for f in rng.sample(ind.ops, min(len(ind.ops), rng.randint(1, 3))):
                        dept(d, f)
            if "shared" not in kinds:
                group_level = ind.key not in ("public", "education")
                for f in rng.sample(("procurement", "finance"), rng.randint(1, 2)):
                    dept(root, f)
            if big:
                for u in list(c.units):
                    if u.depth == 3 and rng.random() < (0.5 if u.kind == AccountKind.SITE else 0.3):
                        teams(u)
        # Make sibling names unique (Group Procurement twice, same plant name twice).
        for u in c.units:
            seen: dict[str, int] = {}
            for ch in u.children:
                if ch.name in seen:
                    seen[ch.name] += 1
                    ch.name = (
                        f"{ch.name} {ch.city}"
                        if ch.city and ch.city not in ch.name
                        else f"{ch.name} {seen[ch.name]}"
                    )
                seen.setdefault(ch.name, 1)
        self._allocate(c)

    def _allocate(self, c: Customer) -> None:
        """Spread the customer's contacts over its units: leaders first, then staff."""
        rng = self.rng
        n = c.n_contacts
        units = c.units
        root = units[0]
        if len(units) == 1:
            root.n_lead = min(n, 1 + (n >= 3) + (n >= 6))
            root.n_staff = n - root.n_lead
        else:
            root.n_lead = 1 if n < 12 else 2 if n < 25 else min(6, 2 + n // 80)
            for u in units[1:]:
                if u.kind == AccountKind.DIVISION:
                    u.n_lead = 1 + (n >= 150) + (n >= 400)
                else:
                    u.n_lead = 1
            over = sum(u.n_lead for u in units) - n
            if over > 0:
                droppable = [u for u in units[1:] if u.kind != AccountKind.DIVISION]
                droppable.sort(key=lambda u: -u.depth)
                for u in droppable[:over]:
                    u.n_lead = 0
                over = sum(u.n_lead for u in units) - n
                for u in units[1:]:
                    if over <= 0:
                        break
                    take = min(u.n_lead, over)
                    u.n_lead -= take
                    over -= take
            spare = n - sum(u.n_lead for u in units)
            base: dict[str, float] = {
                AccountKind.LEGAL_ENTITY: 0.5,
                AccountKind.DIVISION: 0.4,
                AccountKind.DEPARTMENT: 2.0,
                AccountKind.SITE: 3.0,
            }
            w = [
                base[u.kind] * (0.75 if u.family == "team" else 1.0) * rng.uniform(0.5, 1.5)
                for u in units
            ]
            for u in rng.choices(units, weights=w, k=spare):
                u.n_staff += 1
        # Employees: heavy-tailed, larger with more known contacts.
        emp = n * rng.lognormvariate(math.log(45), 0.6)
        c.employees = round_sig(max(emp, 8 + 3 * n))
        subtree: dict[int, int] = {}
        for u in reversed(units):
            subtree[id(u)] = u.n_lead + u.n_staff + sum(subtree[id(ch)] for ch in u.children)
        for u in units:
            share = subtree[id(u)] / max(n, 1)
            u.employees = (
                c.employees
                if u is root
                else round_sig(max(3.0, c.employees * share * rng.uniform(0.7, 1.3)))
            )

    # -- writing accounts and lifecycle -------------------------------------------------------

    def accounts(self) -> None:
        self.plan_customers()
        self.write_accounts()

    def write_accounts(self) -> None:
        rng, w = self.rng, self.w
        fields = (
            "id",
            "path",
            "depth",
            "numchild",
            "name",
            "kind",
            "customer_id",
            "industry",
            "website",
            "street",
            "postcode",
            "city",
            "region",
            "country",
            "employees",
            "description",
            "manager_id",
            "lifecycle_stage",
            "created_at",
            "updated_at",
        )
        lc_fields = (
            "id",
            "account_id",
            "customer_id",
            "stage",
            "previous_stage",
            "changed_at",
            "changed_by_id",
            "reason",
        )
        rows: list[tuple] = []
        lc_rows: list[tuple] = []
        n_changes = sum(len(c.stages) for c in self.customers)
        lc_id = self._ids(LifecycleChange, n_changes)
        for c in self.customers:
            ind = c.industry
            root_id = c.root.id
            created = c.created
            updated = max(t for _, t in c.stages)
            website = f"https://www.{c.domain}"
            line = rng.choice(ind.lines)
            desc = (
                f"{ind.label} company in {c.city}, {c.country}, focused on {line}; "
                f"about {c.employees:,} employees."
            )
            for u in c.units:
                self._place(u)
                t_created = created + (u.depth - 1) * rng.randint(0, 30) * DAY
                rows.append(
                    (
                        u.id,
                        u.path,
                        u.depth,
                        len(u.children),
                        u.name,
                        u.kind,
                        root_id,
                        ind.label,
                        website if u.depth == 1 else "",
                        u.street,
                        u.postcode,
                        u.city,
                        u.region,
                        u.country,
                        u.employees,
                        desc if u.depth == 1 else "",
                        c.manager,
                        c.stage,
                        w.ts(t_created),
                        w.ts(max(updated, t_created)),
                    )
                )
            prev = ""
            for stage, t in c.stages:
                reasons = LIFECYCLE_REASONS.get((prev, stage), ("",))
                by = c.manager if rng.random() < 0.8 else rng.choice(self.writers)
                lc_rows.append(
                    (lc_id, root_id, root_id, stage, prev, w.ts(t), by, rng.choice(reasons))
                )
                lc_id += 1
                prev = stage
            if len(rows) >= ROW_BATCH:
                w.write(Account, fields, rows)
                rows = []
        w.write(Account, fields, rows)
        w.write(LifecycleChange, lc_fields, lc_rows)
        self.counts["accounts"] = len(self.customers)
        self.counts["units"] = sum(len(c.units) - 1 for c in self.customers)
        self.counts["lifecycle_changes"] = n_changes

    def _place(self, u: Unit) -> None:
        """A unit's street, postcode and region: its parent's building in the same town,
        else an address of the country's format (Faker's, for the unit's country)."""
        up = u.parent
        if up is not None and (up.city, up.country) == (u.city, u.country):
            u.street, u.postcode, u.region = up.street, up.postcode, up.region
            return
        rng = self.place_rng
        loc = COUNTRIES[u.country][0]
        u.street = rng.choice(self.names.streets(loc))
        if u.country == "Singapore":  # drawn from en_GB's names, but six digits
            u.postcode = f"{rng.randint(10, 82)}{rng.randint(0, 9999):04d}"
        else:
            u.postcode = contact_points.postcode_normalized(rng.choice(self.names.postcodes(loc)))
        if u.country == "Canada" and len(u.postcode) == 6:
            u.postcode = f"{u.postcode[:3]} {u.postcode[3:]}"
        u.region = CITY_REGIONS.get((u.country, u.city), "")

    def partner_links(self) -> None:
        rng, w = self.rng, self.w
        n = len(self.customers)
        k = max(1, round(n * self.p["linked_pct"] / 100))
        linked = rng.sample(range(n), k)
        rows = []
        seen = set()
        next_id = self.next_id[PartnerLink]
        n_partners = len(self.partner_list)
        for j, ci in enumerate(linked):
            c = self.customers[ci]
            for extra in range(1 if rng.random() < 0.85 else 2):
                if j < n_partners and extra == 0:
                    pi = j  # every partner serves at least one account where possible
                else:
                    pi = rng.choices(range(n_partners), weights=self.partner_weights)[0]
                pid, _, kind = self.partner_list[pi]
                unit = c.root
                if len(c.units) > 1 and rng.random() < 0.2:
                    unit = rng.choice(c.units[1:])
                role = rng.choice(PARTNER_ROLES[kind])
                if (pid, unit.id, role) in seen:
                    continue
                seen.add((pid, unit.id, role))
                start = max(c.win_start - rng.randint(0, 400) * DAY, self.start - 5 * 365 * DAY)
                end = None
                if rng.random() < 0.1:
                    end = self.anchor - rng.randint(30, 500) * DAY
                    if end <= start + 60 * DAY:
                        end = None
                c.links.append((pid, start, end or self.anchor + DAY))
                created = w.ts(max(start, self.start))
                rows.append(
                    (
                        next_id,
                        created,
                        created,
                        pid,
                        unit.id,
                        c.root.id,
                        str(role),
                        w.day(start),
                        w.day(end) if end else None,
                    )
                )
                next_id += 1
        self.next_id[PartnerLink] = next_id
        w.write(
            PartnerLink,
            (
                "id",
                "created_at",
                "updated_at",
                "partner_id",
                "account_id",
                "customer_id",
                "role",
                "started_on",
                "ended_on",
            ),
            rows,
        )
        self.counts["partner_links"] = len(rows)


STAGES = (
    ("customer", 58),
    ("prospect", 7),
    ("lead", 6),
    ("opportunity", 8),
    ("at_risk", 8),
    ("dormant", 6),
    ("lost", 7),
)
STAGE_ACTIVITY = {
    "prospect": 0.15,
    "lead": 0.3,
    "opportunity": 0.6,
    "customer": 1.0,
    "at_risk": 0.8,
    "dormant": 0.5,
    "lost": 0.4,
}
assert {s for s, _ in STAGES} == set(LifecycleStage.values)
