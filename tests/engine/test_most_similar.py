"""Forces most like a force: standardised log features, nearest by Euclidean distance."""

from __future__ import annotations

import math

import numpy as np

from policeperf.engine.most_similar import most_similar, standardise


def test_standardising_gives_mean_zero_and_unit_sample_sd() -> None:
    z = standardise(np.array([[1.0], [2.0], [3.0]]))
    # mean 2, sample sd 1
    assert z[:, 0].tolist() == [-1.0, 0.0, 1.0]


def test_nearest_on_one_feature_ties_broken_by_name() -> None:
    features = {name: {"pop": math.exp(v)} for name, v in {"a": 1, "b": 2, "c": 3, "d": 10}.items()}
    found = most_similar(features, "b", 2, basis="test")
    assert found.peers == ("a", "c")
    assert found.distances[0] == found.distances[1]


def test_two_features_count_equally_after_standardising() -> None:
    # x in people (large), y a rate (small): on raw values x would decide alone.
    features = {
        "me": {"x": math.exp(10), "y": math.exp(1)},
        "near_x": {"x": math.exp(10.1), "y": math.exp(3)},
        "near_both": {"x": math.exp(10.5), "y": math.exp(1.2)},
        "far": {"x": math.exp(20), "y": math.exp(5)},
    }
    assert most_similar(features, "me", 1, basis="test").peers == ("near_both",)


def test_a_feature_not_positive_everywhere_is_dropped_and_named() -> None:
    features = {"a": {"p": 1.0, "q": 0.0}, "b": {"p": 2.0, "q": 1.0}, "c": {"p": 9.0, "q": 1.0}}
    found = most_similar(features, "a", 1, basis="test data")
    assert found.dropped == ("q",)
    assert found.peers == ("b",)
    assert "not used (not positive for every force): q" in found.method()
    assert "standardised log p (test data)" in found.method()
