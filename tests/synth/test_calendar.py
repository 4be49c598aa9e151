"""The demo exports' date text: the same strings Arrow's strftime writes, faster."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from policeperf.synth.calendar import format_times

FORMATS = [
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%Y%m%d %H:%M",
    "%Y-%m-%d %Hh%Mm%Ss",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_times_writes_what_strftime_writes(fmt: str) -> None:
    rng = np.random.default_rng(7)
    seconds = rng.integers(0, 7 * 365 * 86_400, 2_000)
    times = np.datetime64("2016-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    times[::97] = np.datetime64("NaT")
    expected = pc.strftime(pa.array(times), format=fmt)
    assert format_times(times, fmt).equals(expected)


def test_format_times_of_days_reads_midnight_and_keeps_leap_days() -> None:
    days = np.array(["2020-02-29", "2021-12-31", "NaT"], "datetime64[D]")
    assert format_times(days, "%d/%m/%Y %H:%M:%S").to_pylist() == [
        "29/02/2020 00:00:00",
        "31/12/2021 00:00:00",
        None,
    ]


def test_format_times_refuses_a_field_it_does_not_place() -> None:
    with pytest.raises(ValueError, match="%b is not supported"):
        format_times(np.array(["2020-01-01"], "datetime64[D]"), "%d %b %Y")


def test_serials_pad_to_the_width_and_never_cut_a_longer_number() -> None:
    from policeperf.synth.crimes import serials

    assert serials("DC", np.array([1, 42, 12_345_678]), 7).to_pylist() == [
        "DC0000001",
        "DC0000042",
        "DC12345678",
    ]
