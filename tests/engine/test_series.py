"""Series maths: rolling windows, baseline years, records, trends."""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from policeperf.calendar import add_months, fy_of
from policeperf.engine import series as S


def months_from(start: date, n: int) -> list[date]:
    return [add_months(start, k) for k in range(n)]


def test_baseline_is_the_previous_complete_financial_year() -> None:
    assert S.baseline_year(date(2021, 3, 1), None) == 2019  # 2020/21 vs 2019/20
    assert S.baseline_year(date(2020, 1, 1), None) == 2018  # year ending March 2019
    assert S.baseline_year(date(2020, 4, 1), None) == 2019
    assert S.baseline_year(date(2021, 3, 1), "2017/18") == 2017
    assert fy_of(date(2021, 3, 1)) == "2020/21"


def test_financial_year_totals_need_all_twelve_months() -> None:
    months = months_from(date(2019, 6, 1), 30)
    s = S.MonthlySeries(months, np.ones(30), None)
    assert S.fy_total(s, 2019, s.numerator) is None  # starts June 2019
    assert S.fy_total(s, 2020, s.numerator) == 12.0
    assert S.fy_total(s, 2021, s.numerator) is None  # ends November 2021


def test_rolling_windows_need_twelve_months() -> None:
    a = np.arange(1, 15, dtype=float)
    assert S.window_sum(a, 10, 12) is None
    assert S.window_sum(a, 11, 12) == sum(range(1, 13))
    assert S.window_sum(a, 13, 12) == sum(range(3, 15))


def test_rates_are_ratios_of_sums_not_means_of_ratios() -> None:
    s = S.MonthlySeries(
        months_from(date(2020, 4, 1), 2), np.array([1.0, 9.0]), np.array([10.0, 90.0]), scale=100
    )
    assert S.values(s) == [10.0, 10.0]
    assert s.ratio(10.0, 100.0) == 10.0
    assert s.ratio(1.0, 0.0) is None


def test_highest_since_names_the_last_month_as_high() -> None:
    months = months_from(date(2018, 1, 1), 6)
    vals: list[float | None] = [50, 10, 20, 30, 20, 45]
    rec = S.records_at(vals, months, 5)
    assert rec.highest_since == date(2018, 1, 1)
    assert not rec.highest_on_record
    rec = S.records_at([10, 20, 30], months[:3], 2)
    assert rec.highest_on_record and rec.highest_since is None
    # last month was higher: no record to report
    assert S.records_at([10, 40, 30], months[:3], 2).highest_since is None


def test_twelve_month_high_needs_a_full_window_and_a_strict_maximum() -> None:
    months = months_from(date(2020, 1, 1), 12)
    assert S.records_at([1.0] * 11 + [2.0], months, 11).twelve_month_high
    assert not S.records_at([2.0] + [1.0] * 10 + [2.0], months, 11).twelve_month_high
    assert not S.records_at([1.0] * 10 + [2.0], months[:11], 10).twelve_month_high


def test_mann_kendall_finds_a_monotonic_trend_and_ignores_noise() -> None:
    assert S.mann_kendall([float(i) for i in range(24)])[0] == "up"
    direction, p = S.mann_kendall([float(i) for i in range(24)][::-1])
    assert direction == "down" and p is not None and p < 0.001
    _, p = S.mann_kendall([1.0, 3.0, 2.0, 4.0, 1.0, 3.0, 2.0, 4.0, 1.0, 3.0, 2.0, 4.0])
    assert p is not None and p > 0.05
    assert S.mann_kendall([1.0, 2.0]) == ("none", None)


def test_mann_kendall_with_ties_matches_the_hand_worked_statistic() -> None:
    # 12 values, ties {1.0: 3, 2.0: 3, 3.0: 3, 4.0: 3}: S = 32 (by hand, rising minus falling
    # pairs: 9+4+8+0+4+6-3+1+3-1+1), var = (12*11*29 - 4*(3*2*11)) / 18 = 198, z = 31 / sqrt(198).
    vals = [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 4.0, 3.0, 2.0, 4.0, 3.0, 4.0]
    rising = sum((b > a) - (b < a) for i, a in enumerate(vals) for b in vals[i + 1 :])
    assert rising == 32
    direction, p = S.mann_kendall(vals)
    assert direction == "up"
    assert p == math.erfc(31 / math.sqrt(198) / math.sqrt(2))


def test_direction_over_three_months() -> None:
    r12: list[float | None] = [10.0, 11.0, 12.0, 13.0]
    assert S.direction_3m(r12, 3) == "up"
    assert S.direction_3m([13.0, 12.0, 11.0, 10.0], 3) == "down"
    assert S.direction_3m([10.0, 12.0, 11.0, 13.0], 3) == "mixed"
    assert S.direction_3m([None, 12.0, 11.0, 13.0], 3) == "none"


def test_rolling_sums_at_every_month_are_the_sums_of_each_window() -> None:
    a = np.array([1.0, 2.0, 3.0, np.nan, 5.0, 6.5])
    # windows of 3: [1, 2, 3] = 6; any window touching the month without data has none.
    assert S.window_sums(a, 3) == [None, None, 6.0, None, None, None]
    assert S.window_sums(np.array([1.0, 2.0]), 3) == [None, None]
    rng = np.random.default_rng(3)
    b = rng.random(40) * 1e3
    b[17] = np.nan
    assert S.window_sums(b, 12) == [S.window_sum(b, i, 12) for i in range(40)]


def test_monthly_values_are_ratios_with_none_where_a_month_has_no_figure() -> None:
    months = [date(2021, m, 1) for m in (1, 2, 3, 4)]
    rates = S.MonthlySeries(months, np.array([1.0, 2.0, np.nan, 3.0]),
                            np.array([4.0, 0.0, 5.0, 8.0]), scale=100.0)  # fmt: skip
    assert S.values(rates) == [25.0, None, None, 37.5]
    counts = S.MonthlySeries(months, np.array([3.0, np.nan, 0.0, 7.0]), None)
    assert S.values(counts) == [3.0, None, 0.0, 7.0]
    assert S.values(rates) == [rates.ratio(n, d) for n, d in zip(rates.numerator, rates.denominator, strict=True)]  # type: ignore[arg-type]  # fmt: skip
