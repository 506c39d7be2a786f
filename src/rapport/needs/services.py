"""Writes of needs: the Differentiate page's pictures, kept once drawn for the runs they show."""

from __future__ import annotations

from django.db import transaction

from rapport.needs.models import PortfolioPicture


@transaction.atomic
def portfolio_picture_keep(*, inputs: str, measure: str, html: str) -> None:
    """Keep the pictures drawn from the runs named by `inputs`; drop those of older runs.

    Two workers drawing the same pictures at once both try; the second finds the first's
    row and keeps it (the pictures are the same, being a function of the same runs).
    """
    PortfolioPicture.objects.exclude(inputs=inputs).delete()
    PortfolioPicture.objects.bulk_create(
        [PortfolioPicture(inputs=inputs, measure=measure, html=html)], ignore_conflicts=True
    )
