"""Cost to serve (D5): what looking after each organisation costs us over a window.

Interactions carry no duration, so each one is costed at a typical time for its channel
(`MINUTES_PER_CHANNEL`, below) times an hourly cost of our people (`COST_PER_HOUR`).
Discounts given on order lines in the window are a cost to serve too. Both tables can be
overridden in settings, read when the costs are computed (not at import):

* `RAPPORT_COST_MINUTES_PER_CHANNEL` — a dict channel → minutes, merged over the defaults;
* `RAPPORT_COST_PER_HOUR` — our cost of an hour of people's time.

Two grouped queries whatever the number of accounts: interactions by (customer, channel),
discounts by customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from rapport.interactions.models import Channel, Interaction
from rapport.valuation.models import OrderLine

# Typical minutes of our people's time per interaction, preparation and follow-up included.
MINUTES_PER_CHANNEL: dict[str, float] = {
    Channel.MEETING: 120.0,  # travel or set-up, the meeting, the notes
    Channel.TRAINING: 180.0,  # a session prepared and given
    Channel.EVENT: 60.0,  # a seat at an event, our share of hosting
    Channel.SUPPORT: 45.0,  # a support case handled
    Channel.CALL: 20.0,
    Channel.PARTNER: 15.0,  # coordinating with the partner who served them
    Channel.EMAIL: 6.0,
    Channel.SURVEY: 5.0,
    Channel.WEB: 2.0,  # self-service: little of our time
    Channel.PORTAL: 2.0,
    Channel.EDI: 1.0,
}
COST_PER_HOUR = 60.0


@dataclass(frozen=True)
class CostToServe:
    """One organisation's cost to serve over a window, and what it is made of."""

    interactions: int
    minutes: float
    interaction_cost: float
    discounts: float

    @property
    def total(self) -> float:
        return self.interaction_cost + self.discounts


def minutes_per_channel() -> dict[str, float]:
    """The minutes table in force: the defaults, overridden by settings."""
    table = {str(channel): minutes for channel, minutes in MINUTES_PER_CHANNEL.items()}
    table.update(
        {
            str(channel): float(minutes)
            for channel, minutes in getattr(
                settings, "RAPPORT_COST_MINUTES_PER_CHANNEL", {}
            ).items()
        }
    )
    return table


def cost_per_hour() -> float:
    """Our cost of an hour of people's time, from settings or the default."""
    return float(getattr(settings, "RAPPORT_COST_PER_HOUR", COST_PER_HOUR))


def _aware(day: date | datetime) -> datetime:
    if isinstance(day, datetime):
        return day
    return timezone.make_aware(datetime.combine(day, time.min))


def costs_to_serve(*, start: date | datetime, end: date | datetime) -> dict[int, CostToServe]:
    """Every organisation's cost to serve from `start` (inclusive) to `end` (exclusive).

    Organisations with neither interactions nor discounts in the window are absent.
    """
    minutes = minutes_per_channel()
    hourly = cost_per_hour()
    counts: dict[int, int] = {}
    spent: dict[int, float] = {}
    for customer_id, channel, n in (
        Interaction.objects.filter(occurred_at__gte=_aware(start), occurred_at__lt=_aware(end))
        .order_by()
        .values("customer_id", "channel")
        .annotate(n=Count("id"))
        .values_list("customer_id", "channel", "n")
    ):
        counts[customer_id] = counts.get(customer_id, 0) + n
        spent[customer_id] = spent.get(customer_id, 0.0) + n * minutes.get(channel, 0.0)
    start_day = start.date() if isinstance(start, datetime) else start
    end_day = end.date() if isinstance(end, datetime) else end
    discounts: dict[int, Decimal] = dict(
        OrderLine.live.filter(ordered_on__gte=start_day, ordered_on__lt=end_day, discount__gt=0)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("discount"))
        .values_list("customer_id", "total")
    )
    return {
        pk: CostToServe(
            interactions=counts.get(pk, 0),
            minutes=spent.get(pk, 0.0),
            interaction_cost=round(spent.get(pk, 0.0) / 60.0 * hourly, 2),
            discounts=float(discounts.get(pk) or 0),
        )
        for pk in counts.keys() | discounts.keys()
    }
