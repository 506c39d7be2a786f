"""The replenishment run: each organisation's next order per category, from order lines.

Loads every live order line's (organisation, category, day, quantity) in one query,
predicts with analytics.replenishment (each category's buyers are one population, so an
organisation with few orders is pulled towards the rest), and stores one ReorderForecast
per organisation and category, the previous run's rows kept as history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from rapport.analytics import replenishment
from rapport.core import runs
from rapport.offers.models import ReorderForecast
from rapport.valuation import selectors as valuation_selectors

BATCH = 2000
DUE_WITHIN = timedelta(days=14)


class ReplenishmentRunner(runs.Runner):
    """`rapport replenish`: when each organisation will next buy from each category."""

    job = "replenishment"
    model_name = replenishment.MODEL_NAME
    model_version = replenishment.MODEL_VERSION

    def _load(self) -> dict[int, dict[int, tuple[list[int], list[float]]]]:
        by_category: dict[int, dict[int, tuple[list[int], list[float]]]] = defaultdict(dict)
        for customer, category, day, quantity in valuation_selectors.purchase_history():
            days, amounts = by_category[category].setdefault(customer, ([], []))
            days.append(day.toordinal())
            amounts.append(float(quantity))
        return by_category

    def _calculate(
        self, loaded: dict[int, dict[int, tuple[list[int], list[float]]]]
    ) -> list[dict[str, Any]]:
        today = timezone.localdate().toordinal()
        rows = []
        for category, buyers in loaded.items():
            customers = list(buyers)
            predicted = replenishment.predict(
                [buyers[c][0] for c in customers],
                [buyers[c][1] for c in customers],
                now=today,
            )
            for customer, reorder in zip(customers, predicted, strict=True):
                if reorder.next_order is None or reorder.last_order is None:
                    continue
                rows.append(
                    {
                        "customer_id": customer,
                        "category_id": category,
                        "orders": reorder.orders,
                        "last_ordered_on": date.fromordinal(int(reorder.last_order)),
                        "typical_interval_days": reorder.typical_interval_days,
                        "own_weight": reorder.own_weight,
                        "next_order_on": date.fromordinal(round(reorder.next_order)),
                        "lapses_on": date.fromordinal(
                            round(reorder.next_order + (reorder.typical_interval_days or 0))
                        ),
                        "typical_quantity": reorder.typical_quantity,
                    }
                )
        return rows

    def _store(self, calculated: list[dict[str, Any]]) -> dict[str, Any]:
        now = timezone.now()
        ReorderForecast.objects.filter(is_current=True).update(is_current=False)
        ReorderForecast.objects.bulk_create(
            [ReorderForecast(run=self.run, computed_at=now, **row) for row in calculated],
            batch_size=BATCH,
        )
        today = timezone.localdate()
        due = sum(
            1
            for row in calculated
            if row["next_order_on"] <= today + DUE_WITHIN and row["lapses_on"] >= today
        )
        return {"forecasts": len(calculated), "due": due}
