"""Ranks with intervals from redrawn counts: hand cases and properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policeperf.engine.rank_interval import rank_intervals


def test_forces_far_apart_have_certain_ranks() -> None:
    ranks = rank_intervals([10, 1000, 500], [100, 100, 100], kind="rate")
    assert [(r.rank, r.low, r.high, r.of) for r in ranks] == [
        (1, 1, 1, 3),
        (3, 3, 3, 3),
        (2, 2, 2, 3),
    ]


def test_equal_figures_share_the_lowest_rank() -> None:
    ranks = rank_intervals([50, 50, 900], [1000, 1000, 1000], kind="rate")
    assert [r.rank for r in ranks] == [1, 1, 3]


def test_close_forces_have_overlapping_intervals() -> None:
    ranks = rank_intervals([100, 102, 104, 98], [1000] * 4, kind="rate")
    assert all(r.low == 1 and r.high >= 3 for r in ranks)


def test_the_same_seed_gives_the_same_intervals_and_another_may_not() -> None:
    args = ([30, 35, 40, 45, 50], [1000] * 5)
    first = rank_intervals(*args, kind="rate", seed=1)
    assert rank_intervals(*args, kind="rate", seed=1) == first


def test_proportions_are_redrawn_as_binomial_counts() -> None:
    ranks = rank_intervals([10, 90], [100, 100], kind="proportion")
    assert [(r.rank, r.low, r.high) for r in ranks] == [(1, 1, 1), (2, 2, 2)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=12))
def test_intervals_lie_within_the_table(counts: list[int]) -> None:
    ranks = rank_intervals(counts, [1000] * len(counts), kind="rate", simulations=200)
    for r in ranks:
        assert 1 <= r.low <= r.high <= len(counts)
        assert 1 <= r.rank <= len(counts)
