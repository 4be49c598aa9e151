"""Peer groups the user supplies: each force with the forces it is compared with.

policeperf ships no membership list: the Home Office / HMICFRS most similar groups are
published with each year's data and change between editions, so the user supplies the edition
they mean, and names where it came from (`source`), which every comparison then shows.

Two formats, the same rules:

YAML::

    source: HMICFRS most similar groups, 2019 edition (URL)
    peers:
      Cambridgeshire: [Bedfordshire, Hertfordshire, ...]

CSV (header `force,peer`, optionally `source`; one row per force and peer)::

    force,peer,source
    Cambridgeshire,Bedfordshire,HMICFRS MSG 2019

Every problem is reported at once as `file:line what: got ...; expected ...`: an unknown force,
a force listed as its own peer, a peer listed twice, a force with no peers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policeperf.reference.national_forces import ForceReference
from policeperf.yamlconf import ConfigError, Loc, format_loc, line_of, load_yaml, problem


@dataclass(frozen=True)
class PeerGroups:
    """Force code -> peer codes, from one file, with the source the file names."""

    path: str
    source: str
    groups: dict[str, tuple[str, ...]]

    def peers_of(self, code: str) -> tuple[str, ...] | None:
        return self.groups.get(code)

    def method(self, count: int) -> str:
        return f"peer group from {Path(self.path).name} ({self.source}), {count} forces"


def load_peer_groups(path: Path, forces: ForceReference) -> PeerGroups:
    """Read and check a peer-group file (`.yaml`/`.yml` or `.csv`).

    Raises:
        ConfigError: every problem found, each with its file and line.
    """
    if path.suffix.lower() in (".yaml", ".yml"):
        return _from_yaml(path, forces)
    if path.suffix.lower() == ".csv":
        return _from_csv(path, forces)
    raise ConfigError(
        str(path), [f"{path}: got a {path.suffix or 'nameless'} file; expected .yaml, .yml or .csv"]
    )


class _Builder:
    """Collects pairs and problems in file order."""

    def __init__(self, display: str, forces: ForceReference) -> None:
        self.display = display
        self.forces = forces
        self.groups: dict[str, list[str]] = {}
        self.problems: list[str] = []

    def force(self, name: Any, where: str, field: str) -> str | None:
        found = self.forces.resolve(str(name)) if isinstance(name, str | int) else None
        if found is None or not found.territorial:
            self.problems.append(
                f"{where} {field}: got {name!r}; expected a police force area of England and Wales"
            )
            return None
        return found.code

    def pair(self, force: str, peer: str, where: str) -> None:
        peers = self.groups.setdefault(force, [])
        name = self.forces.by_code(force).short_name
        if peer == force:
            self.problems.append(
                f"{where} peer: {name} is listed as its own peer; expected other forces"
            )
        elif peer in peers:
            self.problems.append(
                f"{where} peer: {self.forces.by_code(peer).short_name} listed twice for {name}; "
                "expected each peer once"
            )
        else:
            peers.append(peer)

    def done(self, source: str) -> PeerGroups:
        for force, peers in self.groups.items():
            if not peers and not self.problems:
                name = self.forces.by_code(force).short_name
                self.problems.append(f"{self.display}: {name} has no peers; expected at least one")
        if self.problems:
            raise ConfigError(self.display, self.problems)
        return PeerGroups(self.display, source, {k: tuple(v) for k, v in self.groups.items()})


def _from_yaml(path: Path, forces: ForceReference) -> PeerGroups:
    data, lines = load_yaml(path)
    display = str(path)
    if not isinstance(data, dict):
        raise ConfigError(display, [f"{display}: expected a mapping with 'source' and 'peers'"])
    build = _Builder(display, forces)

    def at(loc: Loc) -> str:
        return f"{display}:{line_of(lines, loc)} {format_loc(loc)}"

    for key in sorted(set(data) - {"source", "peers"}):
        build.problems.append(
            problem(display, lines, (key,), "unknown field; expected source, peers")
        )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        build.problems.append(
            problem(
                display,
                lines,
                ("source",),
                f"got {source!r}; expected text naming where the groups come from",
            )
        )
    peers = data.get("peers")
    if not isinstance(peers, dict) or not peers:
        build.problems.append(
            problem(display, lines, ("peers",), "expected a mapping of force: [peer, ...]")
        )
        raise ConfigError(display, build.problems)
    for name, members in peers.items():
        code = build.force(name, at(("peers", name)), "force")
        if not isinstance(members, list) or not members:
            build.problems.append(
                problem(
                    display, lines, ("peers", name), f"got {members!r}; expected a list of peers"
                )
            )
            continue
        for i, member in enumerate(members):
            where = at(("peers", name, i))
            peer = build.force(member, where, "peer")
            if code is not None and peer is not None:
                build.pair(code, peer, where)
    return build.done(str(source or "").strip())


def _from_csv(path: Path, forces: ForceReference) -> PeerGroups:
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(display, [f"{display}: no such file"]) from None
    except UnicodeDecodeError:
        raise ConfigError(display, [f"{display}: not UTF-8 text"]) from None
    rows = list(csv.reader(text.splitlines()))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if header not in (["force", "peer"], ["force", "peer", "source"]):
        raise ConfigError(
            display,
            [
                f"{display}:1: got header {','.join(header)!r}; expected force,peer or force,peer,source"
            ],
        )
    build = _Builder(display, forces)
    sources: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{display}:{line}"
        if len(row) != len(header):
            build.problems.append(f"{where}: got {len(row)} fields; expected {len(header)}")
            continue
        code = build.force(row[0].strip(), where, "force")
        peer = build.force(row[1].strip(), where, "peer")
        if len(row) == 3 and row[2].strip() and row[2].strip() not in sources:
            sources.append(row[2].strip())
        if code is not None and peer is not None:
            build.pair(code, peer, where)
    if not build.groups and not build.problems:
        build.problems.append(f"{display}: no peers; expected rows of force,peer")
    return build.done("; ".join(sources) or f"supplied in {path.name}")
