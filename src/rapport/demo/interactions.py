"""Demo interactions on every channel, roll-up counters, threads and commitments."""

from __future__ import annotations

import time
from bisect import bisect
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import accumulate

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

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
from rapport.demo.conversations import (
    AUTOMATIC,
    CHANNEL_WEIGHTS,
    CONVERSATIONAL,
    NEXT_STEPS,
    OUTCOME_SENTENCES,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    SALES_OUTCOMES,
    SALES_STEPS,
    TEMPLATES,
)
from rapport.demo.sizes import (
    BULK_LOAD_MIN,
    CM_FIELDS,
    DAY,
    INTERACTION_CHUNK,
    IX_FIELDS,
    PX_FIELDS,
    ROW_BATCH,
    TH_FIELDS,
    THREAD_OPEN_DAYS,
    THREAD_WINDOW_DAYS,
)
from rapport.demo.state import Customer, DemoState, Unit
from rapport.demo.world import (
    COMPETITORS,
    EVENTS,
    FAULTS,
    MODULES,
    PRODUCTS,
    TOPICS,
    VERSIONS,
    WEBINARS,
    WHITEPAPERS,
)
from rapport.demo.writer import BackgroundWriter, indexes_rebuilt_after
from rapport.interactions.models import Commitment, Interaction, Participant, Thread


class _Slots(dict):
    """Template slots, each drawn only when a template asks for it."""

    cust: Customer
    gen: DemoState
    outcome: str
    partner: str
    t: int
    unit: Unit
    __slots__ = ("cust", "gen", "outcome", "partner", "t", "unit")

    def __missing__(self, key: str) -> str:
        value = _SLOT_FUNCS[key](self)
        self[key] = value
        return value


@lru_cache(maxsize=8192)
def _calendar(day: int) -> tuple[str, str, str, str]:
    """For a day number: its year, the next year, the coming quarter, and "07 Mar"."""
    tm = time.gmtime(day * DAY)
    q = time.gmtime((day + 45) * DAY)
    return (
        str(tm.tm_year),
        str(tm.tm_year + 1),
        f"Q{(q.tm_mon - 1) // 3 + 1} {q.tm_year}",
        time.strftime("%d %b", tm),
    )


def _ri(s: _Slots, lo: int, hi: int) -> int:
    """A random integer in [lo, hi]; cheaper than Random.randint."""
    return lo + int(s.gen.rnd() * (hi - lo + 1))


def _site(s: _Slots) -> str:
    if s.unit.kind == "site":
        return s.unit.name
    sites = s.cust.sites
    if sites:
        return sites[int(s.gen.rnd() * len(sites))]
    return f"the {s.unit.city or s.cust.city} site"


def _nps(s: _Slots) -> str:
    if s.outcome == "positive":
        return str(_ri(s, 9, 10))
    return str(_ri(s, 7, 8)) if s.outcome == "neutral" else str(_ri(s, 0, 6))


def _csat(s: _Slots) -> str:
    if s.outcome == "positive":
        return str(_ri(s, 4, 5))
    return "3" if s.outcome == "neutral" else str(_ri(s, 1, 2))


def _pick(seq: Sequence[str]) -> Callable[[_Slots], str]:
    return lambda s: seq[int(s.gen.rnd() * len(seq))]


_SLOT_FUNCS: dict[str, Callable[[_Slots], str]] = {
    "site": _site,
    "product": _pick(PRODUCTS),
    "module": _pick(MODULES),
    "topic": _pick(TOPICS),
    "event": _pick(EVENTS),
    "webinar": _pick(WEBINARS),
    "whitepaper": _pick(WHITEPAPERS),
    "competitor": _pick(COMPETITORS),
    "fault": _pick(FAULTS),
    "version": _pick(VERSIONS),
    "industry": lambda s: s.cust.industry.label.lower(),
    "year": lambda s: _calendar(s.t // DAY)[0],
    "next_year": lambda s: _calendar(s.t // DAY)[1],
    "quarter": lambda s: _calendar(s.t // DAY)[2],
    "due": lambda s: _calendar(s.t // DAY + _ri(s, 5, 21))[3],
    "n": lambda s: str(_ri(s, 2, 40)),
    "quote": lambda s: f"Q-{_calendar(s.t // DAY)[0]}-{_ri(s, 1000, 9999)}",
    "invoice": lambda s: f"INV-{_calendar(s.t // DAY)[0]}-{_ri(s, 10000, 99999)}",
    "po": lambda s: f"PO-45{_ri(s, 10_000_000, 99_999_999)}",
    "ticket": lambda s: f"#{_ri(s, 10000, 99999)}",
    "req": lambda s: f"REQ-{_ri(s, 10000, 99999)}",
    "partner": lambda s: s.partner,
    "nps": _nps,
    "csat": _csat,
}
# Working hours of conversations (07:00-17:59, most around 10:00).
_HOURS = tuple(
    h
    for h, w in zip(range(7, 18), (2, 6, 9, 10, 9, 6, 7, 8, 7, 5, 3), strict=True)
    for _ in range(w)
)


class InteractionsMixin(DemoState):
    """Three years of interactions per customer, then roll-ups, threads and commitments."""

    # -- interactions ---------------------------------------------------------------------------

    def interactions(self) -> None:
        t0 = time.perf_counter()
        total = self.p["interactions"]
        self._ix: list[tuple] = []
        self._px: list[tuple] = []
        self.counts.update(interactions=0, participants=0)
        self._iid = self._ids(Interaction, total)
        self._pid = self.next_id[Participant]
        chan_pre = [(ch, wt[0]) for ch, wt in CHANNEL_WEIGHTS.items() if wt[0]]
        chan_cust = [(ch, wt[1]) for ch, wt in CHANNEL_WEIGHTS.items() if wt[1]]
        self._chans = {
            True: ([ch for ch, _ in chan_pre], list(accumulate(w for _, w in chan_pre))),
            False: ([ch for ch, _ in chan_cust], list(accumulate(w for _, w in chan_cust))),
        }
        self._tpls = {
            (ch, pre): [t for t in tpls if t[2] == "a" or t[2] == ("p" if pre else "c")]
            for ch, tpls in TEMPLATES.items()
            for pre in (True, False)
        }
        self._outcome_cum = {
            ch: tuple(list(accumulate(w)) for w in pair) for ch, pair in OUTCOME_WEIGHTS.items()
        }
        self.write_seconds = 0.0
        self._bg: BackgroundWriter | None = None
        if total >= BULK_LOAD_MIN:
            # One transaction: drop the timeline indexes, load (writing on a second
            # thread while generating), build the indexes again.
            with transaction.atomic(), indexes_rebuilt_after([Interaction, Participant], self.say):
                for model, fields in ((Interaction, IX_FIELDS), (Participant, PX_FIELDS)):
                    self.w._plan(model, fields)  # prepared here, on the main thread
                self._bg = BackgroundWriter(self.w)
                try:
                    self._interactions_loop(t0, total)
                finally:
                    bg, self._bg = self._bg, None
                    bg.close()
                self.say(f"interactions written in the background in {bg.busy:.1f} s")
        else:  # small loads keep the indexes and commit per chunk
            self._interactions_loop(t0, total)

    def _interactions_loop(self, t0: float, total: int) -> None:
        done = 0
        for c in self.customers:
            self._interactions_for(c)
            c.pool = []  # no longer needed
            if len(self._ix) >= INTERACTION_CHUNK:
                done += self._flush_interactions()
                elapsed = time.perf_counter() - t0
                self.say(
                    f"interactions: {done:,} / {total:,} ({elapsed:.1f} s, "
                    f"{done / max(elapsed, 1e-9):,.0f}/s, {self.write_seconds:.1f} s waiting on writes)"
                )
        done += self._flush_interactions()
        self.say(
            f"interactions: {done:,} with {self.counts['participants']:,} participants "
            f"({time.perf_counter() - t0:.1f} s)"
        )

    def _flush_interactions(self) -> int:
        n = len(self._ix)
        if not n:
            return 0
        t0 = time.perf_counter()
        batch = [(Interaction, IX_FIELDS, self._ix), (Participant, PX_FIELDS, self._px)]
        if self._bg is not None:
            self._bg.submit(batch)
        else:
            with transaction.atomic():
                for model, fields, rows in batch:
                    self.w.write(model, fields, rows)
        self.write_seconds += time.perf_counter() - t0
        self.counts["interactions"] += n
        self.counts["participants"] += len(self._px)
        self._ix, self._px = [], []
        return n

    def _interactions_for(self, c: Customer) -> None:
        n = c.n_interactions
        if n <= 0:
            return
        rng, rnd = self.rng, self.rnd
        ts = self.w.ts
        units = c.units
        pool = c.pool + c.alumni
        # Which contacts can take part in an interaction on a unit: its subtree's people.
        unit_pool: list[list[int]] = [[] for _ in units]
        for k, person in enumerate(pool):
            u: Unit | None = units[person[1]]
            while u is not None:
                unit_pool[u.idx].append(k)
                u = u.parent
        all_pool = unit_pool[0]
        weights = [u.n_lead + u.n_staff + (2.0 if u.depth == 1 else 0.3) for u in units]
        chosen_units = rng.choices(units, weights=weights, k=n)
        chans, chan_cum = self._chans[c.presale]
        chan_total = chan_cum[-1]
        tpls, outcome_cum = self._tpls, self._outcome_cum
        ws, span, shape = c.win_start, c.win_end - c.win_start, c.shape
        anchor = self.anchor
        manager, writers = c.manager, self.writers
        links = c.links
        root_id = c.root.id
        trouble, trouble_end = c.trouble, c.trouble_end
        ix, px = self._ix, self._px
        iid, pid = self._iid, self._pid
        partner_names, user_names = self.partner_names, self.user_names
        hours, n_hours = _HOURS, len(_HOURS)
        for unit in chosen_units:
            t = ws + int(span * rnd() ** shape)
            day = t // DAY
            wd = (day + 3) % 7  # 0 = Monday
            if wd == 5:
                day -= 1
            elif wd == 6:
                day += 1 if (day + 2) * DAY < anchor else -2
            partner_id = None
            partner_name = ""
            if links and rnd() < 0.08:
                link = links[int(rnd() * len(links))]
                if link[1] <= t <= link[2]:
                    partner_id = link[0]
            if partner_id is not None and rnd() < 0.45:
                ch = "partner"
            else:
                ch = chans[bisect(chan_cum, rnd() * chan_total)]
            choices = tpls[(ch, c.presale)]
            subject_t, summary_t, _, direction = choices[int(rnd() * len(choices))]
            if (ch == "email" or ch == "call") and rnd() < 0.12:
                direction = "two_way"
            if ch in AUTOMATIC and ch != "email":
                t = day * DAY + int(rnd() * DAY)
            else:
                hour = hours[int(rnd() * n_hours)]
                minute = int(rnd() * 60) if ch == "email" else int(rnd() * 12) * 5
                t = day * DAY + hour * 3600 + minute * 60
            if t >= anchor:
                t = anchor - 1800 - int(rnd() * 6 * 3600)
            if t < ws:
                t = ws + int(rnd() * 3600)
            # Participants on the customer side: people of that unit (or the firm), employed then.
            m = (
                1
                if ch not in CONVERSATIONAL
                else (1 + (rnd() < 0.45) + (rnd() < (0.35 if ch == "meeting" else 0.15)))
            )
            cands = unit_pool[unit.idx]
            if len(cands) < m or rnd() < 0.15:
                cands = all_pool
            picked: list[tuple] = []
            n_cands = len(cands)
            for _ in range(m * 4):
                person = pool[cands[int(rnd() * n_cands)]]
                if person[2] <= t <= person[3] and person not in picked:
                    picked.append(person)
                    if len(picked) == m:
                        break
            if not picked:
                person = next(
                    (pool[k] for k in all_pool if pool[k][2] <= t <= pool[k][3]), pool[all_pool[0]]
                )
                picked.append(person)
            # Outcome
            oc = outcome_cum[ch][0 if direction == "outbound" else 1]
            outcome = OUTCOMES[bisect(oc, rnd() * oc[-1])]
            if trouble and trouble - 90 * DAY < t < trouble_end and outcome and rnd() < 0.3:
                outcome = "negative"
            logged_by = manager if rnd() < 0.75 else writers[int(rnd() * len(writers))]
            if partner_id is not None:
                partner_name = partner_names[partner_id]
            s = _Slots(contact=picked[0][4], unit=unit.name, rep=user_names[logged_by])
            s.gen, s.cust, s.unit, s.t, s.outcome, s.partner = (
                self,
                c,
                unit,
                t,
                outcome,
                partner_name,
            )
            subject = subject_t.format_map(s)
            summary = summary_t.format_map(s)
            if outcome and ch in CONVERSATIONAL:
                sentences = OUTCOME_SENTENCES.get(ch, SALES_OUTCOMES)[outcome]
                summary = f"{summary} {sentences[int(rnd() * len(sentences))].format_map(s)}"
            next_step = ""
            if (ch in CONVERSATIONAL and rnd() < 0.62) or (ch == "web" and rnd() < 0.25):
                steps = NEXT_STEPS.get(ch, SALES_STEPS)
                next_step = steps[int(rnd() * len(steps))].format_map(s)
            if ch in AUTOMATIC:
                created = t + int(rnd() * 120)
            else:
                created = t + 600 + int(rnd() ** 2 * 2 * DAY)
            if created > anchor:
                created = anchor
            occ, cts = ts(t), ts(created)
            ix.append(
                (
                    iid,
                    cts,
                    cts,
                    root_id,
                    unit.id,
                    ch,
                    direction,
                    occ,
                    subject,
                    summary,
                    outcome,
                    next_step,
                    partner_id,
                    logged_by,
                )
            )
            for person in picked:
                px.append((pid, iid, root_id, "customer", person[0], None, occ))
                pid += 1
            px.append((pid, iid, root_id, "us", None, logged_by, occ))
            pid += 1
            iid += 1
        self._iid, self._pid = iid, pid

    # -- roll-ups -------------------------------------------------------------------------

    def rollups(self) -> None:
        t0 = time.perf_counter()
        qn = connection.ops.quote_name
        acc, itx = qn(Account._meta.db_table), qn(Interaction._meta.db_table)
        con, par = qn(Contact._meta.db_table), qn(Participant._meta.db_table)
        br = qn(BuyingRole._meta.db_table)
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                for m in (Account, Contact, BuyingRole, Interaction, Participant):
                    cur.execute(f"ANALYZE {qn(m._meta.db_table)}")
            cur.execute(
                f"UPDATE {acc} SET interaction_count = s.n, last_interaction_at = s.last "
                f"FROM (SELECT account_id AS aid, COUNT(*) AS n, MAX(occurred_at) AS last "
                f"FROM {itx} WHERE deleted_at IS NULL GROUP BY account_id) AS s "
                f"WHERE {acc}.id = s.aid"
            )
            cur.execute(
                f"UPDATE {con} SET last_engaged_at = s.last "
                f"FROM (SELECT contact_id AS cid, MAX(occurred_at) AS last FROM {par} "
                f"WHERE contact_id IS NOT NULL GROUP BY contact_id) AS s "
                f"WHERE {con}.id = s.cid"
            )
            cur.execute(
                f"UPDATE {br} SET last_engaged_at = c.last_engaged_at FROM {con} AS c "
                f"WHERE {br}.contact_id = c.id AND c.last_engaged_at IS NOT NULL"
            )
            sql = connection.ops.sequence_reset_sql(
                no_style(),
                [
                    Account,
                    LifecycleChange,
                    Contact,
                    ContactIdentity,
                    Employment,
                    BuyingRole,
                    Partner,
                    PartnerLink,
                    Interaction,
                    Participant,
                ],
            )
            for stmt in sql:
                cur.execute(stmt)
        self.say(f"roll-up counters set ({time.perf_counter() - t0:.1f} s)")

    # -- threads and commitments (X2) ------------------------------------------------------

    def threads_and_commitments(self) -> None:
        """What a team would have open now: for the last months' interactions with a next
        step, one thread per unit and one commitment per such interaction (mostly ours, due
        one to three weeks later; the older ones mostly done, some late, a few cancelled)."""
        t0 = time.perf_counter()
        ts, day = self.w.ts, self.w.day
        rnd = self.rnd
        since = datetime.fromtimestamp(self.anchor - THREAD_WINDOW_DAYS * DAY, UTC)
        recent = (
            Interaction.objects.filter(occurred_at__gte=since)
            .exclude(next_step="")
            .order_by("account_id", "occurred_at", "id")
            .values_list(
                "id",
                "customer_id",
                "account_id",
                "occurred_at",
                "logged_by_id",
                "next_step",
                "subject",
            )
        )
        threads: list[tuple] = []
        commitments: list[tuple] = []
        members: dict[int, list[int]] = {}
        tid = (Thread.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        cid = (Commitment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        current: tuple | None = None
        last: tuple | None = None

        def close_thread() -> None:
            if current is None or last is None:
                return
            at = int(last[3].timestamp())
            opened = int(current[3].timestamp())
            is_open = at >= self.anchor - THREAD_OPEN_DAYS * DAY
            threads.append(
                (
                    current[7], ts(opened), ts(at), current[1], current[2],
                    f"Follow-up: {current[6]}"[:200], "open" if is_open else "closed",
                    current[4], None if is_open else ts(min(at + 14 * DAY, self.anchor)),
                    last[0], ts(at),
                )
            )  # fmt: skip

        for row in recent.iterator(chunk_size=ROW_BATCH):
            if current is None or row[2] != current[2]:
                close_thread()
                current, tid = (*row, tid), tid + 1
            last = row
            members.setdefault(current[7], []).append(row[0])
            made = int(row[3].timestamp())
            due = made + (7 + int(rnd() * 15)) * DAY
            ours = rnd() < 0.7
            status, done_at, done_by = "open", None, None
            if due < self.anchor - 3 * DAY:
                roll = rnd()
                if roll < 0.05:
                    status, done_at = "cancelled", ts(due - DAY)
                elif roll < 0.9:
                    # Most are kept; one in five of the kept ones a few days late.
                    late = int(rnd() * 6) * DAY if rnd() < 0.2 else -int(rnd() * 5) * DAY
                    status, done_at = "done", ts(min(due + late, self.anchor - 3600))
                if status != "open":
                    done_by = row[4] if ours else None
            commitments.append(
                (
                    cid, ts(made), ts(made), row[1], row[2], row[0], current[7],
                    "us" if ours else "customer", row[4] if ours else None,
                    row[5][:500], day(due), status, done_at, done_by, row[4],
                )
            )  # fmt: skip
            cid += 1
        close_thread()
        for start in range(0, len(threads), ROW_BATCH):
            self.w.write(Thread, TH_FIELDS, threads[start : start + ROW_BATCH])
        for start in range(0, len(commitments), ROW_BATCH):
            self.w.write(Commitment, CM_FIELDS, commitments[start : start + ROW_BATCH])
        for thread_id, interaction_ids in members.items():
            Interaction.all_objects.filter(pk__in=interaction_ids).update(thread_id=thread_id)
        with connection.cursor() as cur:
            for stmt in connection.ops.sequence_reset_sql(no_style(), [Thread, Commitment]):
                cur.execute(stmt)
        self.counts.update(threads=len(threads), commitments=len(commitments))
        self.say(
            f"threads: {len(threads):,}, commitments: {len(commitments):,} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
