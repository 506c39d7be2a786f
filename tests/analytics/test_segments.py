"""Needs segments on hand-made data: planted segments come back exactly, and say their needs."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.segments import NeedSpec, encode, segment

UPTIME = NeedSpec(
    "need-uptime",
    "Uptime is critical",
    "choice",
    ("low", "medium", "high", "mission-critical"),
    ordered=True,
    phrase="{value} uptime",
    importance=5,
)
SUPPORT = NeedSpec(
    "need-support-hours",
    "Support hours needed",
    "choice",
    ("office hours", "extended hours", "24/7"),
    ordered=True,
    phrase="{value} support",
)
INTEGRATION = NeedSpec(
    "need-integration",
    "Systems to integrate with",
    "multi_choice",
    ("SAP", "Oracle", "Salesforce"),
    phrase="{value} integration",
    importance=4,
)
GREEN = NeedSpec("need-sustainability", "Sustainability reporting", "boolean")
COST = NeedSpec(
    "need-cost-reduction", "Cost reduction priority", "choice", ("low", "medium", "high"),
    ordered=True, phrase="{value} cost pressure", importance=4,
)  # fmt: skip
REGION = NeedSpec("need-region", "Region", "choice", ("north", "south"))  # unordered
SPECS = [UPTIME, SUPPORT, INTEGRATION, GREEN, COST, REGION]


def _planted() -> tuple[list[dict], list[int]]:
    """Three segments of 8, 6 and 4 organisations, with a gap or an odd answer here and there."""
    critical = {
        "need-uptime": "mission-critical",
        "need-support-hours": "24/7",
        "need-integration": ["SAP"],
        "need-sustainability": False,
        "need-cost-reduction": "low",
    }
    thrifty = {
        "need-uptime": "low",
        "need-support-hours": "office hours",
        "need-integration": ["Salesforce"],
        "need-sustainability": False,
        "need-cost-reduction": "high",
    }
    green = {
        "need-uptime": "medium",
        "need-support-hours": "extended hours",
        "need-integration": ["Oracle"],
        "need-sustainability": True,
        "need-cost-reduction": "medium",
    }
    rows: list[dict] = []
    truth: list[int] = []
    for group, (base, size) in enumerate([(critical, 8), (thrifty, 6), (green, 4)]):
        for i in range(size):
            row = dict(base)
            if i == 1:
                row.pop("need-support-hours")  # unknown
            if i == 2:
                row.pop("need-integration")
            if i == 3 and group == 0:
                row["need-uptime"] = "high"  # an odd answer
            if i != 4:
                row["need-region"] = "north"  # the same everywhere: says nothing
            rows.append(row)
            truth.append(group)
    # Interleave, so order cannot give the answer away.
    order = [*range(0, 18, 3), *range(1, 18, 3), *range(2, 18, 3)]
    return [rows[i] for i in order], [truth[i] for i in order]


def test_encoding_ordinal_one_hot_multi_hot_boolean_and_unknown_imputed():
    rows = [
        {"need-uptime": "low", "need-integration": ["SAP", "Oracle"], "need-sustainability": True},
        {"need-uptime": "mission-critical", "need-region": "south"},
        {},
    ]
    encoded = encode([UPTIME, INTEGRATION, GREEN, REGION], rows)
    assert encoded.feature_names == [
        "need-uptime",
        "need-integration=SAP",
        "need-integration=Oracle",
        "need-integration=Salesforce",
        "need-sustainability",
        "need-region=north",
        "need-region=south",
    ]
    s = 1 / np.sqrt(2)
    expected = np.array(
        [
            [0.0, s, s, 0.0, 1.0, 0.0, s],  # region unknown → mean of the known (south)
            [1.0, s, s, 0.0, 1.0, 0.0, s],  # integration, sustainability unknown → means
            [0.5, s, s, 0.0, 1.0, 0.0, s],  # nothing known: the mean everywhere
        ]
    )
    np.testing.assert_allclose(encoded.features, expected)
    assert encoded.needs_known.tolist() == [3, 2, 0]
    # indicators: 1/0 per value, NaN where unknown
    sap = encoded.values.index(("need-integration", "SAP"))
    yes = encoded.values.index(("need-sustainability", "yes"))
    assert encoded.indicators[:, sap].tolist()[:1] == [1.0]
    assert np.isnan(encoded.indicators[1, sap])
    assert np.isnan(encoded.indicators[2, yes])


def test_planted_segments_are_recovered_exactly_and_numbered_largest_first():
    rows, truth = _planted()

    result = segment(SPECS, rows)

    assert result.k == 3
    assert [s.size for s in result.segments] == [8, 6, 4]
    # Segment n (1-based, largest first) is planted group n-1, member for member.
    assert (result.labels == np.array(truth)).all()
    assert result.left_out == 0
    assert result.silhouette is not None
    assert result.silhouette > 0.5
    assert set(result.scores) == {2, 3, 4, 5, 6, 7, 8}
    # Members who answered everything like the rest sit nearest the centre; the odd answer
    # and the gaps further out.
    critical = result.segments[0].members
    odd = next(i for i in critical if rows[i]["need-uptime"] == "high")
    typical = [i for i in critical if len(rows[i]) == 6 and rows[i]["need-uptime"] != "high"]
    assert len(typical) == 4
    assert np.ptp(result.distances[typical]) < 1e-9
    assert result.distances[odd] > result.distances[typical[0]] + 0.1


def test_segments_are_described_in_words_by_their_distinctive_needs():
    rows, _ = _planted()

    result = segment(SPECS, rows)
    critical, thrifty, green = result.segments

    # Most over-represented first; of equal lift, the one more of them share, then the
    # more important need.
    assert critical.name == "Low cost pressure, Mission-critical uptime, SAP integration"
    assert thrifty.name == "Low uptime, High cost pressure, Salesforce integration"
    assert green.name == "Oracle integration, Extended hours support, Medium uptime"
    assert critical.description == (
        "8 organisations. Low cost pressure (100% of them, 44% overall); "
        "Mission-critical uptime (88% of them, 39% overall); "
        "SAP integration (100% of them, 47% overall)."
    )
    lifts = [d["lift"] for d in critical.distinctive]
    assert lifts == sorted(lifts, reverse=True)
    assert critical.distinctive[0] == {
        "attribute": "need-cost-reduction",
        "value": "low",
        "label": "Cost reduction priority",
        "phrase": "Low cost pressure",
        "share_in_segment": 1.0,
        "share_overall": 0.4444,
        "lift": 2.25,
    }
    # Sustainability is distinctive of the green segment: 100% there, 22% overall
    sustain = next(d for d in green.distinctive if d["attribute"] == "need-sustainability")
    assert sustain["value"] == "yes"
    assert sustain["share_in_segment"] == 1.0
    assert sustain["share_overall"] == pytest.approx(4 / 18, abs=1e-4)
    assert sustain["lift"] == pytest.approx(4.5, abs=1e-3)
    # The region is the same for everyone: never distinctive
    assert all(d["attribute"] != "need-region" for s in result.segments for d in s.distinctive)


def test_organisations_without_known_needs_are_left_out():
    rows, truth = _planted()
    rows = [*rows, {}, {"need-unknown-text": "x"}]

    result = segment(SPECS, rows)

    assert result.labels[-2:].tolist() == [-1, -1]
    assert np.isnan(result.distances[-2:]).all()
    assert result.left_out == 2
    assert (result.labels[:-2] == np.array(truth)).all()


def test_nothing_known_gives_no_segments():
    result = segment(SPECS, [{}, {}])
    assert result.segments == []
    assert result.k == 0
    assert result.left_out == 2


def test_everyone_alike_is_one_segment_without_distinctive_needs():
    rows = [{"need-sustainability": True, "need-uptime": "high"}] * 5

    result = segment(SPECS, rows)

    assert result.k == 1
    assert result.labels.tolist() == [0] * 5
    assert result.segments[0].name == "No distinctive needs"
    assert result.segments[0].description == (
        "5 organisations whose needs are close to the average of the customer base."
    )
    assert result.distances.tolist() == [0.0] * 5


def test_the_same_data_gives_the_same_segments():
    rows, _ = _planted()
    first, second = segment(SPECS, rows), segment(SPECS, rows)
    assert first.labels.tolist() == second.labels.tolist()
    assert [s.name for s in first.segments] == [s.name for s in second.segments]


def test_two_organisations_are_one_segment():
    rows = [{"need-sustainability": True}, {"need-sustainability": False}]
    result = segment(SPECS, rows)
    assert result.k == 1
    assert result.labels.tolist() == [0, 0]


def test_weighted_silhouette_equals_the_silhouette_of_the_repeated_data():
    from sklearn.metrics import silhouette_score

    from rapport.analytics.segments import weighted_silhouette

    rng = np.random.default_rng(3)
    points = rng.normal(size=(12, 3))
    weight = rng.integers(1, 5, size=12).astype(float)
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2])
    labels[0] = 3  # a segment of one distinct point repeated
    repeated = np.repeat(points, weight.astype(int), axis=0)
    expected = silhouette_score(repeated, np.repeat(labels, weight.astype(int)))

    assert weighted_silhouette(points, weight, labels) == pytest.approx(expected, abs=1e-7)
    # a point alone in its segment scores 0, as scikit-learn has it
    single = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert weighted_silhouette(points, single, labels) == pytest.approx(
        silhouette_score(points, labels), abs=1e-7
    )
