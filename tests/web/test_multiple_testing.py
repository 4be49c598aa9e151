"""The dashboard overview says how many verdicts it shows were tested, and what chance gives."""

from __future__ import annotations

import re
from pathlib import Path

from policeperf.web import Settings
from tests.web.conftest import client


def test_overview_states_the_verdicts_tested_and_those_expected_by_chance(
    demo_store_path: Path,
) -> None:
    page = client(Settings(store=demo_store_path)).get("/?month=2021-03").text
    found = re.search(r"(\d+) verdicts tested at 95% confidence; about (\d+) would show", page)
    assert found is not None
    tested, expected = int(found[1]), int(found[2])
    assert tested == 32 and expected == round(32 * 0.05)
