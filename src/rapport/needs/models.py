"""Differentiate by needs: needs-based segments of the customer base.

The needs catalogue is the learning memory's attributes of kind "need", and each
account's or contact's needs profile is read from its current facts, so there is one
place a need is recorded. What lives here are the results of the segmentation model:
the segments of each run, described in words by their distinctive needs, and each
organisation's membership. Older runs stay, so segment movement can be shown.

A segment's `lineage` is what stays when it is recomputed: the segment of the next run
that continues it (by the members they share, `rapport.analytics.segments.continuations`)
inherits it, so whatever is attached to a segment is attached to its lineage.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class NeedsSegment(models.Model):
    """One needs-based segment found by one run of the segmentation model."""

    run = models.ForeignKey("valuation.ModelRun", on_delete=models.CASCADE, related_name="segments")
    number = models.PositiveSmallIntegerField(help_text="1-based, largest segment first.")
    name = models.CharField(max_length=200, help_text="A short name from its distinctive needs.")
    description = models.CharField(max_length=1000, help_text="The segment in words.")
    distinctive_needs = models.JSONField(
        default=list,
        help_text="[{attribute, value, share_in_segment, share_overall, lift}] most distinctive first.",
    )
    centroid = models.JSONField(default=dict, help_text="Mean of each encoded need feature.")
    size = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)
    lineage = models.PositiveIntegerField(
        db_index=True,
        help_text="The segment's identity across runs: its continuation's, else a new number.",
    )
    continues = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The segment of the previous run it continues; empty when new in its run.",
    )
    continued_share = models.FloatField(
        null=True,
        blank=True,
        help_text="Share of the continued segment's members that are in this one.",
    )

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="segment_number_per_run"),
            models.UniqueConstraint(
                fields=["lineage"], condition=Q(is_current=True), name="segment_lineage_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class SegmentMembership(models.Model):
    """Which needs segment an organisation fell in at one run, and how typical it is of it."""

    run = models.ForeignKey("valuation.ModelRun", on_delete=models.CASCADE, related_name="+")
    segment = models.ForeignKey(NeedsSegment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    distance = models.FloatField(help_text="Distance to the segment's centre (0 = typical).")
    needs_known = models.PositiveSmallIntegerField(
        default=0, help_text="How many catalogue needs we know for them."
    )
    is_current = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "is_current"], name="ix_member_customer"),
            models.Index(fields=["segment"], name="ix_member_segment"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="member_one_per_run"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_current=True), name="member_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"


class PortfolioPicture(models.Model):
    """The Differentiate page's pictures as the runs they come from left them, drawn once.

    Everything the page draws is a function of the newest finished value, tiers and
    segments runs (and the chosen measure), so it is rendered on the first request after
    a run and kept here, keyed by those runs; every request after reads it back.
    """

    inputs = models.CharField(max_length=200, help_text="The runs drawn: 'value:12,tiers:13,…'.")
    measure = models.CharField(max_length=40)
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inputs", "measure"], name="picture_one_per_runs"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} of {self.inputs}"
