"""Peer-group files: YAML or CSV, every problem at once with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policeperf.reference.national_forces import load_force_reference
from policeperf.reference.peer_groups import load_peer_groups
from policeperf.yamlconf import ConfigError


def test_a_yaml_file_gives_each_force_its_peers_and_source(tmp_path: Path) -> None:
    path = tmp_path / "peers.yaml"
    path.write_text(
        "source: HMICFRS most similar groups (edition named here)\n"
        "peers:\n  Cambridgeshire: [Norfolk, Suffolk, 'Avon & Somerset']\n"
    )
    groups = load_peer_groups(path, load_force_reference())
    assert groups.peers_of("E23000023") == ("E23000024", "E23000025", "E23000036")
    assert groups.source == "HMICFRS most similar groups (edition named here)"
    assert groups.method(3) == (
        "peer group from peers.yaml (HMICFRS most similar groups (edition named here)), 3 forces"
    )


def test_every_yaml_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "peers.yaml"
    path.write_text(
        "peers:\n"
        "  Cambridgeshire: [Norfolk, Cambridgeshire, Narnia]\n"
        "  Atlantis: [Kent]\n"
        "  Kent: [Essex, Essex]\n"
        "  Surrey: []\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_peer_groups(path, load_force_reference())
    assert caught.value.problems == [
        f"{path}:1 source: got None; expected text naming where the groups come from",
        f"{path}:2 peers.Cambridgeshire[1] peer: Cambridgeshire is listed as its own peer; "
        "expected other forces",
        f"{path}:2 peers.Cambridgeshire[2] peer: got 'Narnia'; expected a police force area of "
        "England and Wales",
        f"{path}:3 peers.Atlantis force: got 'Atlantis'; expected a police force area of England "
        "and Wales",
        f"{path}:4 peers.Kent[1] peer: Essex listed twice for Kent; expected each peer once",
        f"{path}:5 peers.Surrey: got []; expected a list of peers",
    ]


def test_a_csv_file_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "peers.csv"
    path.write_text(
        "force,peer,source\nCambridgeshire,Norfolk,MSG 2019\nCambridgeshire,Suffolk,MSG 2019\n"
    )
    groups = load_peer_groups(path, load_force_reference())
    assert groups.peers_of("E23000023") == ("E23000024", "E23000025")
    assert groups.source == "MSG 2019"


def test_csv_problems_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "peers.csv"
    path.write_text("force,peer\nCambridgeshire,Norfolk\nKent,Gondor\nKent\n")
    with pytest.raises(ConfigError) as caught:
        load_peer_groups(path, load_force_reference())
    assert caught.value.problems == [
        f"{path}:3 peer: got 'Gondor'; expected a police force area of England and Wales",
        f"{path}:4: got 1 fields; expected 2",
    ]


def test_a_wrong_csv_header_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "peers.csv"
    path.write_text("a,b\n")
    with pytest.raises(ConfigError) as caught:
        load_peer_groups(path, load_force_reference())
    assert (
        str(caught.value) == f"{path}:1: got header 'a,b'; expected force,peer or force,peer,source"
    )
