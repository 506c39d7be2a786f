"""Segment lineage on hand-checked memberships: which previous segment each new one continues."""

from __future__ import annotations

from rapport.analytics.segments import Continuation, continuations


def _ids(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


def test_identical_runs_continue_segment_for_segment():
    previous = {10: _ids(1, 4), 11: _ids(5, 7), 12: _ids(8, 9)}
    new = {1: _ids(1, 4), 2: _ids(5, 7), 3: _ids(8, 9)}

    assert continuations(previous, new) == {
        1: Continuation(previous=10, shared=4, share=1.0),
        2: Continuation(previous=11, shared=3, share=1.0),
        3: Continuation(previous=12, shared=2, share=1.0),
    }


def test_renumbered_segments_are_followed_by_their_members_not_their_numbers():
    # segment 1 (id 10) shrank below segment 2 (id 11): the numbers swap
    previous = {10: _ids(1, 5), 11: _ids(6, 9)}
    new = {1: {*_ids(6, 9), 4, 5}, 2: _ids(1, 3)}

    # new 1: 4 of its 6 came from 11, all of 11's 4; new 2: 3 of 10's 5, all its own 3
    assert continuations(previous, new) == {
        1: Continuation(previous=11, shared=4, share=1.0),
        2: Continuation(previous=10, shared=3, share=0.6),
    }


def test_members_drifting_between_segments_keep_both_lines():
    previous = {10: _ids(1, 10), 11: _ids(11, 20)}
    new = {1: {*_ids(1, 8), 11}, 2: {9, 10, *_ids(12, 20), 21}}

    assert continuations(previous, new) == {
        1: Continuation(previous=10, shared=8, share=0.8),
        2: Continuation(previous=11, shared=9, share=0.9),
    }


def test_a_split_continues_in_the_larger_part_and_the_smaller_part_is_new():
    previous = {10: _ids(1, 10)}
    new = {1: _ids(1, 7), 2: _ids(8, 10)}

    # new 2: all 3 of its members came from 10, but they are 3 of 10's 10: not half
    assert continuations(previous, new) == {
        1: Continuation(previous=10, shared=7, share=0.7),
        2: None,
    }


def test_a_split_exactly_in_half_goes_to_the_first_half():
    previous = {10: _ids(1, 10)}
    new = {1: _ids(1, 5), 2: _ids(6, 10)}

    assert continuations(previous, new) == {
        1: Continuation(previous=10, shared=5, share=0.5),
        2: None,
    }


def test_a_merge_continues_the_segment_that_brought_most_and_the_other_ends():
    previous = {10: _ids(1, 6), 11: _ids(7, 10)}
    new = {1: _ids(1, 10)}

    # 6 of the 10 came from 10 (at least half, and all of 10); 4 from 11 (less than half)
    assert continuations(previous, new) == {1: Continuation(previous=10, shared=6, share=1.0)}


def test_a_brand_new_segment_continues_nothing():
    previous = {10: _ids(1, 4), 11: _ids(5, 10)}
    # 3: customers segmented for the first time; 4: new customers and one stray of 11's 6
    new = {1: _ids(1, 4), 2: _ids(6, 10), 3: _ids(100, 102), 4: {*_ids(200, 209), 5}}

    result = continuations(previous, new)

    assert result[3] is None
    assert result[4] is None
    assert result[1] == Continuation(previous=10, shared=4, share=1.0)
    assert result[2] == Continuation(previous=11, shared=5, share=5 / 6)


def test_customers_new_to_segmentation_count_for_neither_side():
    previous = {10: _ids(1, 4)}
    # 3 of 4 from 10 plus ten newcomers: the newcomers do not dilute the continuation
    new = {1: {1, 2, 3, *_ids(100, 109)}, 2: {4}}

    assert continuations(previous, new) == {
        1: Continuation(previous=10, shared=3, share=0.75),
        2: None,
    }


def test_an_empty_previous_run_makes_every_segment_new():
    assert continuations({}, {1: _ids(1, 3), 2: _ids(4, 5)}) == {1: None, 2: None}
    assert continuations({}, {}) == {}


def test_of_equal_overlaps_the_pair_holding_more_of_the_previous_segment_goes_first():
    # new 1 holds half of 10 and all of 11; new 2 the other half of 10
    previous = {10: _ids(1, 6), 11: _ids(7, 9)}
    new = {1: {1, 2, 3, 7, 8, 9}, 2: {4, 5, 6, 50}}

    # taking (1, 10) first would have left new 2 without a line and 11 ended
    assert continuations(previous, new) == {
        1: Continuation(previous=11, shared=3, share=1.0),
        2: Continuation(previous=10, shared=3, share=0.5),
    }
