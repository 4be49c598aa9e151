"""Framework files: shipped frameworks load; problems are reported together with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policeperf.errors import PolicePerfError
from policeperf.framework import load_framework
from policeperf.yamlconf import ConfigError

MINIMAL = """\
name: mine
title: My framework
version: "1"
force: Demo Constabulary
pillars:
  - id: victims
    name: Victims
    priorities:
      - id: p1
        name: Priority
        focus_areas:
          - id: f1
            name: Focus
            measures:
{measures}
"""


def write(tmp_path: Path, measures: str) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(MINIMAL.format(measures=measures))
    return path


def test_shipped_frameworks_load() -> None:
    pcp = load_framework("pcp")
    assert [p.name for p in pcp.pillars] == ["Victims", "Offenders", "Communities"]
    ids = [m.id for *_, m in pcp.measures()]
    assert len(ids) == len(set(ids)) == 32
    uk = load_framework("police-uk")
    assert {"all_crime", "burglary", "vehicle_crime", "criminal_damage_and_arson", "asb"} <= {
        m.id for *_, m in uk.measures()
    }


def test_a_bad_polarity_names_file_line_field_and_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path, "              - {id: a, name: A, kind: count, polarity: upward}")
    with pytest.raises(ConfigError) as info:
        load_framework(path)
    assert str(info.value) == (
        f"{path}:15 pillars[0].priorities[0].focus_areas[0].measures[0].polarity: got 'upward'; "
        "expected 'up_is_good', 'down_is_good' or 'neutral'"
    )


def test_every_problem_is_reported_in_one_run(tmp_path: Path) -> None:
    measures = "\n".join([
        "              - {id: a, name: A, kind: count}",
        "              - {id: a, name: A again, kind: count}",
        "              - {id: r, name: R, kind: outcome_rate, outcome_set: solved}",
        "              - {id: c, name: C, kind: count, table: calls, filters: {markers: [hate]}}",
    ])  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_framework(write(tmp_path, measures))
    problems = info.value.problems
    assert len(problems) == 4
    assert any("measure id 'a' is used 2 times" in p for p in problems)
    assert any(":17 " in p and "outcome_set: got 'solved'; expected one of" in p for p in problems)
    assert any(
        ":18 " in p
        and "filters.markers[0]: 'hate' is not a flag of calls; filters for calls: lines, line" in p
        for p in problems
    )


def test_a_measure_kind_decides_its_required_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "              - {id: r, name: R, kind: outcome_rate}\n              - {id: s, name: S, kind: proportion, table: calls}",
    )
    with pytest.raises(ConfigError) as info:
        load_framework(path)
    text = str(info.value)
    assert "an outcome_rate needs outcome_set" in text
    assert "a proportion needs success" in text


def test_an_unknown_framework_name_lists_the_shipped_ones() -> None:
    with pytest.raises(PolicePerfError, match="shipped frameworks: pcp, police-uk"):
        load_framework("nonexistent")


@pytest.mark.parametrize("name", ["pcp.yaml", "police-uk.yaml"])
def test_libyaml_and_the_pure_python_parser_read_the_shipped_frameworks_alike(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from policeperf import yamlconf

    path = Path(yamlconf.__file__).parent / "framework" / name
    fast = yamlconf.load_yaml(path)
    monkeypatch.setattr(yamlconf, "FAST_LOADER", yaml.SafeLoader)
    assert fast == yamlconf.load_yaml(path)
