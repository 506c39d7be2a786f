"""Recompute what every organisation is worth, its share of customer, and its tier (D2 to D5).

One runner per analysis, as everywhere in Rapport: load in bulk (grouped SQL and
`values_list`, never one ORM object per row), call the pure models of `rapport.analytics`,
store the results stamped with the model's name, version and run.

**Value** (`value_recompute`), per organisation (the top of an account tree):

* *Past margin*: revenue minus cost of goods of its order lines, over the last 12 months
  and over its lifetime, plus the recurring margin its subscriptions billed in the last
  12 months.
* *Predicted order value*: BG/NBD (repeat buying) and Gamma-Gamma (spend per purchase),
  fitted on the whole base at once — a B2B account with three orders says little on its
  own, the base says how such accounts behave. Purchases are counted in weeks. The
  expected purchases over the horizon are discounted month by month at the discount rate,
  and each is worth the Gamma-Gamma spend times the organisation's own margin ratio.
* *Predicted contract value*: shifted-beta-geometric retention fitted on every
  subscription's months survived (cancelled and expired ones churned); each active
  contract's monthly margin times its discounted expected months to come within the horizon.
* *Share of customer*: per category, our revenue of the last 12 months / the wallet, where
  the wallet is the customer's own figure, else the rep's estimate, else one modelled from
  similar accounts (`rapport.analytics.wallets`, written as a "modelled" WalletEstimate
  only when the figure changed, so history is not flooded); whitespace where they spend
  and we sell nothing; unrealised wallet = Σ max(wallet - our revenue, 0).
* *Growth potential*: how much more margin a year the model predicts than the last 12
  months brought (never below zero). *Strategic value* (the model's figure) = unrealised
  wallet + growth potential. The manager's judgement is stored apart and shown beside it.
* *Cost to serve*: `rapport.valuation.costs` (interactions by channel, discounts).

**Tiers** (`tiers_recompute`) apply `rapport.analytics.tiers` to the current values and the
current judgements. **`recompute`** runs value → tiers → needs segments.

Settings, read at run time: `RAPPORT_VALUE_DISCOUNT_RATE` (a year, default 0.10),
`RAPPORT_VALUE_HORIZON_YEARS` (default 3), `RAPPORT_WALLET_NEIGHBOURS` (default 5), and the
cost-to-serve tables of `costs.py`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone
from numpy.typing import NDArray

from rapport.analytics import tiers, wallets
from rapport.core import access, runs
from rapport.core.errors import InvalidInput
from rapport.core.models import Run, User
from rapport.core.money import money_text
from rapport.valuation.costs import cost_per_hour, costs_to_serve, minutes_per_channel
from rapport.valuation.models import (
    AccountValue,
    CategoryShare,
    JudgementScore,
    ModelRun,
    RunKind,
    TierAssignment,
    WalletSource,
    product_category_model,
)
from rapport.valuation.value_inputs import (
    EPOCH_ORDINAL,
    WINDOW_DAYS,
    _Base,
    _category_positions,
    _cents,
    _cents_of,
    _contract_value,
    _Contracts,
    _insert,
    _known_wallets,
    _nullable,
    _order_value,
    _Orders,
    _store_modelled_wallets,
)

logger = logging.getLogger(__name__)

Progress = runs.Progress

VALUE_MODEL = "bgnbd-gammagamma-sbg"
VALUE_VERSION = "1"


def discount_rate() -> float:
    """The yearly discount rate of future margin (settings, default 10 %)."""
    return float(getattr(settings, "RAPPORT_VALUE_DISCOUNT_RATE", 0.10))


def horizon_years() -> float:
    """How many years ahead predicted value looks (settings, default 3)."""
    return float(getattr(settings, "RAPPORT_VALUE_HORIZON_YEARS", 3.0))


def wallet_neighbours() -> int:
    """How many similar accounts a modelled wallet rests on at most (settings, default 5)."""
    return int(getattr(settings, "RAPPORT_WALLET_NEIGHBOURS", wallets.DEFAULT_NEIGHBOURS))


# --- runs and progress -------------------------------------------------------------------


class Analysis(runs.Runner):
    """A value, tiers or segments run: the core run, and the ModelRun its rows point to."""

    def __init__(
        self, run: Run, *, progress: Progress | None = None, now: datetime | None = None
    ) -> None:
        super().__init__(run, progress=progress)
        self.now = now or timezone.now()
        # A run computed "as of" a given moment (the demo's history, a backfill) is dated
        # then, so tier migration and value history show it where it belongs.
        self.stamped = now is not None

    def _start_time(self) -> datetime:
        return self.now if self.stamped else timezone.now()

    def _finish_time(self) -> datetime:
        return self.now if self.stamped else timezone.now()

    @classmethod
    def _prepare(cls, run: Run, **options: Any) -> None:
        ModelRun.objects.create(run=run, kind=cls.job)

    @property
    def model_run(self) -> ModelRun:
        return self.run.model_run


def run_queue(*, kind: str, triggered_by: User | None = None) -> ModelRun:
    """A queued run of one analysis, to be picked up by a task."""
    runner = runs.RUNNERS[RunKind(kind).value]
    return runner.queue(started_by=triggered_by).model_run


def _carry_out(
    runner: type[Analysis],
    *,
    run: ModelRun | None,
    triggered_by: User | None,
    now: datetime | None,
    progress: Progress | None,
) -> ModelRun:
    """Carry out a queued run, or a new one; the ModelRun, failed or done (failures re-raise)."""
    model_run = run or run_queue(kind=runner.job, triggered_by=triggered_by)
    runner(model_run.run, progress=progress, now=now).execute()
    return model_run


# --- value -------------------------------------------------------------------------------


def value_recompute(
    *,
    triggered_by: User | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    run: ModelRun | None = None,
) -> ModelRun:
    """Value every organisation again; store AccountValue and CategoryShare rows for a new run.

    `run` is a queued run to carry out (the API and the task pass one); without it a new
    run is made. A failure is recorded on the run (status "failed", the error) and re-raised.
    """
    return _carry_out(ValueRunner, run=run, triggered_by=triggered_by, now=now, progress=progress)


class ValueRunner(Analysis):
    """Past margin, predicted value, share of customer and strategic value of every organisation."""

    job = RunKind.VALUE.value
    model_name = VALUE_MODEL
    model_version = VALUE_VERSION

    def _after(self) -> list[Run]:
        # A value run asked for from the pages is followed by tiers and segments, as nightly.
        user = self.run.started_by
        return [
            r.run
            for r in [
                *recompute(only="tiers", triggered_by=user),
                *recompute(only="segments", triggered_by=user),
            ]
        ]

    def _load(self) -> dict[str, Any]:
        now = self.now
        today = timezone.localdate(now)
        start = today - timedelta(days=WINDOW_DAYS)
        base = _Base()
        self.report(0, base.size)
        category_ids = list(
            product_category_model().objects.order_by("pk").values_list("pk", flat=True)
        )
        categories = {pk: j for j, pk in enumerate(category_ids)}
        loaded = {
            "today": today,
            "start": start,
            "base": base,
            "category_ids": category_ids,
            "categories": categories,
            "lines": _Orders(today),
            "contracts": _Contracts(base, categories, start, today),
            "costs": costs_to_serve(start=now - timedelta(days=WINDOW_DAYS), end=now),
            "known": _known_wallets(base, categories),
        }
        self.report(base.size // 4)
        return loaded

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        rate, years, k = discount_rate(), horizon_years(), wallet_neighbours()
        today, start, base = loaded["today"], loaded["start"], loaded["base"]
        category_ids, lines = loaded["category_ids"], loaded["lines"]
        contracts = loaded["contracts"]
        total = base.size
        customers, days, revenue, cost = lines.customer, lines.day, lines.revenue, lines.cost
        at = base.positions(customers)
        inside = at >= 0
        recent = inside & (days > start.toordinal() - EPOCH_ORDINAL)
        n = base.size
        revenue_all = np.bincount(at[inside], weights=revenue[inside], minlength=n)
        margin_all = np.bincount(at[inside], weights=(revenue - cost)[inside], minlength=n)
        order_revenue_12m = np.bincount(at[recent], weights=revenue[recent], minlength=n)
        order_margin_12m = np.bincount(at[recent], weights=(revenue - cost)[recent], minlength=n)
        category_at = _category_positions(category_ids, lines.category)
        counted_lines = recent & (category_at >= 0)
        ours = np.zeros((n, len(category_ids)))
        np.add.at(ours, (at[counted_lines], category_at[counted_lines]), revenue[counted_lines])
        billed = contracts.window_months
        counted = contracts.customer >= 0
        recurring_revenue_12m = np.bincount(
            contracts.customer[counted],
            weights=(contracts.monthly_revenue * billed)[counted],
            minlength=n,
        )
        recurring_margin_12m = np.bincount(
            contracts.customer[counted],
            weights=(contracts.monthly_margin * billed)[counted],
            minlength=n,
        )
        in_category = counted & (contracts.category >= 0)
        np.add.at(
            ours,
            (contracts.customer[in_category], contracts.category[in_category]),
            (contracts.monthly_revenue * billed)[in_category],
        )
        costs = loaded["costs"]
        cost_to_serve = np.zeros(n)
        for pk, cts in costs.items():
            i = base.index.get(pk)
            if i is not None:
                cost_to_serve[i] = cts.total

        # Margin ratio per organisation for its future orders: its own, else the base's.
        overall = float(margin_all.sum() / revenue_all.sum()) if revenue_all.sum() > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            margin_ratio = np.where(revenue_all > 0, margin_all / revenue_all, overall)
        margin_ratio = np.clip(margin_ratio, -1.0, 1.0)
        orders, order_params = _order_value(
            base, customers, days, revenue, margin_ratio, today, rate, years
        )
        contract_value, contract_params = _contract_value(base, contracts, rate, years)
        self.report(total // 2)

        known, modelled_rows = loaded["known"]
        said, estimated = known[WalletSource.CUSTOMER_SAID], known[WalletSource.REP_ESTIMATED]
        by_people = np.where(np.isnan(said), estimated, said)
        modelled = wallets.model_wallets(
            industry=base.industry,
            size=np.asarray(order_revenue_12m + recurring_revenue_12m, dtype=float),
            known=by_people,
            ours=ours,
            k=k,
        )
        wanted = np.isnan(by_people) & ~np.isnan(modelled.amount)
        wallet = np.where(np.isnan(by_people), np.round(modelled.amount, 2), by_people)
        source = np.where(
            ~np.isnan(said),
            WalletSource.CUSTOMER_SAID.value,
            np.where(
                ~np.isnan(estimated),
                WalletSource.REP_ESTIMATED.value,
                np.where(wanted, WalletSource.MODELLED.value, ""),
            ),
        )
        has_wallet = ~np.isnan(wallet)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(has_wallet & (wallet > 0), np.minimum(ours / wallet, 1.0), np.nan)
        whitespace = has_wallet & (wallet > 0) & (ours <= 0)
        unrealised = np.where(has_wallet, np.maximum(np.nan_to_num(wallet) - ours, 0.0), 0.0)
        org_wallet = np.where(has_wallet, wallet, 0.0).sum(axis=1)
        org_has_wallet: NDArray[np.bool_] = np.asarray(has_wallet.any(axis=1), dtype=bool)
        covered_ours = np.where(has_wallet, ours, 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            org_share = np.where(org_wallet > 0, np.minimum(covered_ours / org_wallet, 1.0), np.nan)
        org_unrealised = unrealised.sum(axis=1)
        self.report((3 * total) // 4)

        margin_12m = order_margin_12m + recurring_margin_12m
        net_margin = margin_12m - cost_to_serve
        predicted = orders["order_value"] + contract_value
        growth = np.maximum(predicted / years - margin_12m, 0.0)
        strategic = org_unrealised + growth
        values = {
            "revenue_12m": order_revenue_12m + recurring_revenue_12m,
            "margin_12m": margin_12m,
            "cost_to_serve_12m": cost_to_serve,
            "net_margin_12m": net_margin,
            "lifetime_margin": margin_all,
            "recurring_revenue_12m": recurring_revenue_12m,
            "expected_order_margin": orders["order_margin"],
            "predicted_order_value": orders["order_value"],
            "predicted_contract_value": contract_value,
            "predicted_value": predicted,
            "unrealised_wallet": org_unrealised,
            "growth_potential": growth,
            "strategic_value": strategic,
        }
        return {
            "base": base,
            "category_ids": category_ids,
            "orders": orders,
            "order_params": order_params,
            "contract_params": contract_params,
            "values": values,
            "modelled": modelled,
            "modelled_rows": modelled_rows,
            "wanted": wanted,
            "wallet": wallet,
            "has_wallet": has_wallet,
            "ours": ours,
            "share": share,
            "source": source,
            "whitespace": whitespace,
            "org_wallet": org_wallet,
            "org_has_wallet": org_has_wallet,
            "org_share": org_share,
            "rate": rate,
            "years": years,
            "k": k,
            "total": total,
        }

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        c, now, run = calculated, self.now, self.model_run
        base, category_ids, orders, values = c["base"], c["category_ids"], c["orders"], c["values"]
        modelled, modelled_rows, wanted = c["modelled"], c["modelled_rows"], c["wanted"]
        wallet, has_wallet, ours, share = c["wallet"], c["has_wallet"], c["ours"], c["share"]
        source, whitespace = c["source"], c["whitespace"]
        org_wallet, org_has_wallet, org_share = c["org_wallet"], c["org_has_wallet"], c["org_share"]
        rate, years, k, total = c["rate"], c["years"], c["k"], c["total"]
        order_params, contract_params = c["order_params"], c["contract_params"]
        wallets_written = _store_modelled_wallets(
            run=run,
            base=base,
            category_ids=category_ids,
            estimate=modelled,
            wanted=wanted,
            existing=modelled_rows,
            now=now,
        )
        stamp = connection.ops.adapt_datetimefield_value(now)
        AccountValue.objects.filter(is_current=True).update(is_current=False)
        names = list(values)
        alive = orders["probability_alive"]
        _insert(
            AccountValue,
            [
                "run_id",
                "customer_id",
                "computed_at",
                "is_current",
                "expected_purchases",
                "probability_alive",
                "wallet",
                "share_of_customer",
                *names,
            ],
            zip(
                itertools.repeat(run.pk),
                base.ids.tolist(),
                itertools.repeat(stamp),
                itertools.repeat(True),
                orders["expected_purchases"].tolist(),
                _nullable(alive, ~np.isnan(alive)),
                _nullable(_cents_of(org_wallet), org_has_wallet),
                _nullable(org_share, ~np.isnan(org_share)),
                *(_cents_of(values[name]).tolist() for name in names),
            ),
        )
        CategoryShare.objects.filter(is_current=True).update(is_current=False)
        rows_i, rows_j = np.nonzero(has_wallet | (ours > 0))
        pair_share = share[rows_i, rows_j]
        shares_written = _insert(
            CategoryShare,
            [
                "run_id",
                "customer_id",
                "category_id",
                "is_current",
                "revenue_12m",
                "wallet",
                "wallet_source",
                "share",
                "is_whitespace",
            ],
            zip(
                itertools.repeat(run.pk),
                base.ids[rows_i].tolist(),
                np.asarray(category_ids, dtype=np.int64)[rows_j].tolist(),
                itertools.repeat(True),
                _cents_of(ours[rows_i, rows_j]).tolist(),
                _nullable(_cents_of(wallet[rows_i, rows_j]), has_wallet[rows_i, rows_j]),
                source[rows_i, rows_j].tolist(),
                _nullable(pair_share, ~np.isnan(pair_share)),
                whitespace[rows_i, rows_j].tolist(),
            ),
        )
        self.run.parameters = {
            "computed_at": now.isoformat(),
            "discount_rate": rate,
            "horizon_years": years,
            "window_days": WINDOW_DAYS,
            "orders": order_params,
            "contracts": contract_params,
            "wallets": {
                "model": wallets.MODEL_NAME,
                "version": wallets.MODEL_VERSION,
                "neighbours": k,
                "modelled": int(wanted.sum()),
                "written": wallets_written,
            },
            "cost_to_serve": {"per_hour": cost_per_hour(), "minutes": minutes_per_channel()},
            "organisations": total,
            "shares": shares_written,
        }
        self.run.total = total
        return {"organisations": total, "shares": shares_written}


# --- tiers -------------------------------------------------------------------------------


def tiers_recompute(
    *,
    triggered_by: User | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    run: ModelRun | None = None,
) -> ModelRun:
    """Tier every organisation from its current value and judgement; keep the old tiers as history."""
    return _carry_out(TiersRunner, run=run, triggered_by=triggered_by, now=now, progress=progress)


class TiersRunner(Analysis):
    """Tiers and keep/grow/shed recommendations from the current values and judgements."""

    job = RunKind.TIERS.value
    model_name = tiers.MODEL_NAME
    model_version = tiers.MODEL_VERSION

    def _load(self) -> dict[str, Any]:
        rows = list(
            AccountValue.objects.filter(is_current=True, customer__deleted_at__isnull=True)
            .order_by("customer_id")
            .values_list(
                "customer_id",
                "net_margin_12m",
                "cost_to_serve_12m",
                "predicted_value",
                "strategic_value",
                "unrealised_wallet",
                "lifetime_margin",
                "recurring_revenue_12m",
                "run_id",
            )
        )
        self.report(0, len(rows))
        judged = dict(
            JudgementScore.objects.filter(superseded_at__isnull=True).values_list(
                "customer_id", "score"
            )
        )
        previous = dict(
            TierAssignment.objects.filter(is_current=True).values_list("customer_id", "tier")
        )
        return {"rows": rows, "judged": judged, "previous": previous}

    def _calculate(self, loaded: dict[str, Any]) -> dict[str, Any]:
        rows, judged = loaded["rows"], loaded["judged"]
        total, years = len(rows), horizon_years()
        ids = [row[0] for row in rows]
        columns = np.array([[float(v) for v in row[1:8]] for row in rows], dtype=float).reshape(
            total, 7
        )
        decisions = tiers.assign_tiers(
            net_margin_12m=columns[:, 0],
            cost_to_serve_12m=columns[:, 1],
            predicted_value=columns[:, 2],
            strategic_value=columns[:, 3],
            unrealised_wallet=columns[:, 4],
            has_bought=(columns[:, 5] != 0) | (columns[:, 6] > 0),
            judgement=np.array([judged.get(pk, np.nan) for pk in ids], dtype=float),
            horizon_years=years,
            money=money_text,
        )
        self.report(total // 2)
        return {**loaded, "ids": ids, "decisions": decisions, "years": years}

    def _store(self, calculated: dict[str, Any]) -> dict[str, Any]:
        ids, decisions, rows = calculated["ids"], calculated["decisions"], calculated["rows"]
        previous, judged = calculated["previous"], calculated["judged"]
        TierAssignment.objects.filter(is_current=True).update(is_current=False)
        stamp = connection.ops.adapt_datetimefield_value(self.now)
        run_id = self.model_run.pk
        _insert(
            TierAssignment,
            [
                "run_id",
                "customer_id",
                "assigned_at",
                "is_current",
                "tier",
                "previous_tier",
                "recommendation",
                "reasons",
                "max_retention_spend",
            ],
            (
                (
                    run_id,
                    pk,
                    stamp,
                    True,
                    decision.tier,
                    previous.get(pk, ""),
                    decision.recommendation,
                    connection.ops.adapt_json_value(decision.reasons, None),
                    _cents(decision.max_retention_spend),
                )
                for pk, decision in zip(ids, decisions, strict=True)
            ),
        )
        counts: dict[str, int] = {}
        for decision in decisions:
            counts[decision.tier] = counts.get(decision.tier, 0) + 1
        self.run.parameters = {
            "computed_at": self.now.isoformat(),
            "value_runs": sorted({row[-1] for row in rows}),
            "horizon_years": calculated["years"],
            "top_share": tiers.TOP_SHARE,
            "retention_share": tiers.RETENTION_SHARE,
            "judgement_threshold": tiers.JUDGEMENT_THRESHOLD,
            "tiers": counts,
            "judged": sum(1 for pk in ids if pk in judged),
        }
        return {"tiers": counts}


# --- all of it ---------------------------------------------------------------------------

ANALYSES = ("value", "tiers", "segments")


# needs sits above valuation (its segments cite a value run), so valuation cannot import
# it: NeedsConfig.ready() hands its segment runner down here instead.
_segments_recompute: list[Callable[..., ModelRun]] = []


def segments_runner_set(runner: Callable[..., ModelRun]) -> None:
    """Name the needs app's segment runner (called once, from NeedsConfig.ready)."""
    _segments_recompute[:] = [runner]


def segments_runner() -> Callable[..., ModelRun] | None:
    """The needs app's segment runner, or None while it is not installed."""
    return _segments_recompute[0] if _segments_recompute else None


def recompute(*, only: str | None = None, triggered_by: User | None = None) -> list[ModelRun]:
    """Run value → tiers → needs segments (or only one of them); the runs, in order."""
    if only is not None and only not in ANALYSES:
        raise ValueError(f"only must be one of {', '.join(ANALYSES)}")
    done = []
    if only in (None, "value"):
        done.append(value_recompute(triggered_by=triggered_by))
    if only in (None, "tiers"):
        done.append(tiers_recompute(triggered_by=triggered_by))
    if only in (None, "segments"):
        segments = segments_runner()
        if segments is None:
            logger.warning("Needs segments are not built yet (rapport.needs.runners); skipped.")
        else:
            done.append(segments(triggered_by=triggered_by))
    return done


def run_request(*, actor: User, kind: str = RunKind.VALUE) -> ModelRun:
    """Queue a recompute for the worker (managers and admins); the queued run, to follow.

    A value run is followed by tiers and needs segments, as the nightly recompute is; a
    tiers or segments run does only that.
    """
    access.ensure(actor, access.Capability.RUN_RECOMPUTE)
    if kind not in RunKind.values:
        raise InvalidInput(f"Unknown kind {kind!r}.", field="kind")
    if kind == RunKind.SEGMENTS and segments_runner() is None:
        raise InvalidInput("Needs segments are not built yet.", field="kind")
    run = run_queue(kind=kind, triggered_by=actor)
    runs.run_enqueue(run.run)
    return run


def run_carry_out(*, run: ModelRun) -> list[ModelRun]:
    """Carry out a queued run (and, for a value run, tiers and segments after it)."""
    return [done.model_run for done in runs.run_execute_now(run.run_id)]


def run_rerun(*, actor: User, run: ModelRun) -> ModelRun:
    """Queue the same analysis again after a run finished or lost its worker; the new run."""
    access.ensure(actor, access.Capability.RUN_RECOMPUTE)
    again = runs.run_rerun(run=run.run, started_by=actor)
    runs.run_enqueue(again)
    return again.model_run
