"""The force reference: one code per police force area and every spelling publications use.

The Home Office writes `Avon & Somerset` in 2019/20 and `Avon and Somerset` in 2017/18,
`London, City of` in the PRC tables and `City of London` in the rolling-year tables, and
data.police.uk writes `Avon and Somerset Constabulary` and `Metropolitan Police Service`. Every
national loader resolves names through this one table, so a force is the same force in every
source, and a name it does not know is quarantined with a reason rather than dropped.

A name is matched on its *key*: lower case, `&` read as `and`, every run of other characters
read as one space. The same key is computed in SQL by `ALIAS_KEY_SQL`, so ingest (inside
DuckDB) and the command line (`--force "avon & somerset"`) agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policeperf.errors import ReferenceDataError
from policeperf.reference.loaders import load_table

KINDS = ("territorial", "special", "fraud_body", "outside_england_and_wales")
"""`territorial`: the 43 police force areas of England and Wales, the forces national rates and
peer groups are made of. `special`: British Transport Police. `fraud_body`: Action Fraud, CIFAS,
UK Finance (fraud recorded nationally, not by a force). `outside_england_and_wales`: PSNI."""

SUFFIXES = ("police", "constabulary", "police service")
"""Words a force's short name is also written with ('Kent Police', 'Cambridgeshire
Constabulary'); each gives an alias of every territorial force."""


def alias_key(name: str) -> str:
    """The form names are matched on.

    >>> alias_key("London, City of"), alias_key(" Avon & Somerset ")
    ('london city of', 'avon and somerset')
    """
    return re.sub(r"[^a-z0-9]+", " ", name.replace("&", " and ").lower()).strip()


def alias_key_sql(expr: str) -> str:
    """SQL computing `alias_key` of the text `expr` inside DuckDB."""
    return (
        f"trim(regexp_replace(lower(replace(coalesce({expr}, ''), '&', ' and ')), "
        "'[^a-z0-9]+', ' ', 'g'))"
    )


@dataclass(frozen=True)
class ForceRef:
    """One police force area (or national body) of the reference."""

    code: str
    """ONS code (E23/W15/N23), or a policeperf code `X-...` where ONS has none."""
    short_name: str
    """The Home Office name ('Cambridgeshire'), shown in comparison tables."""
    name: str
    """The name the rest of the store uses, as data.police.uk writes it ('Cambridgeshire
    Constabulary')."""
    kind: str
    country: str
    region: str
    aliases: tuple[str, ...]

    @property
    def territorial(self) -> bool:
        return self.kind == "territorial"


@dataclass(frozen=True)
class ForceReference:
    """Every force of the reference, and the lookup from any known spelling to its force."""

    forces: tuple[ForceRef, ...]
    by_key: dict[str, ForceRef]

    def resolve(self, name: str) -> ForceRef | None:
        """The force a name stands for, or None when no force is written that way."""
        return self.by_key.get(alias_key(name))

    def require(self, name: str, option: str = "--force") -> ForceRef:
        """The force a name stands for; an unknown name is one line listing the forces."""
        found = self.resolve(name)
        if found is None:
            known = ", ".join(f.short_name for f in self.territorial())
            raise ReferenceDataError(
                f"{option}: got {name!r}; expected a police force area of England and Wales "
                f"({known})"
            )
        return found

    def by_code(self, code: str) -> ForceRef:
        for force in self.forces:
            if force.code == code:
                return force
        raise KeyError(code)

    def territorial(self) -> tuple[ForceRef, ...]:
        return tuple(f for f in self.forces if f.territorial)

    def alias_rows(self) -> dict[str, list[str]]:
        """Columns `key`, `code`, `force` of every spelling, for ingest's join."""
        keys = sorted(self.by_key)
        return {
            "key": keys,
            "code": [self.by_key[k].code for k in keys],
            "force": [self.by_key[k].name for k in keys],
        }


def spellings(force: ForceRef) -> list[str]:
    """Every name a force is known by: code, short name, store name, listed aliases, and for a
    territorial force its short name with each of `SUFFIXES`."""
    names = [force.code, force.short_name, force.name, *force.aliases]
    if force.territorial:
        names += [f"{force.short_name} {suffix}" for suffix in SUFFIXES]
    return names


def load_force_reference() -> ForceReference:
    """The shipped reference (`reference/data/national_forces.csv`).

    Raises:
        ReferenceDataError: a kind outside `KINDS`, or one spelling given to two forces.
    """
    table = load_table("national_forces").to_pylist()
    forces: list[ForceRef] = []
    by_key: dict[str, ForceRef] = {}
    for line, row in enumerate(table, start=2):
        kind = row["kind"] or ""
        if kind not in KINDS:
            raise ReferenceDataError(
                f"national_forces.csv:{line} kind: got {kind!r}; expected one of {', '.join(KINDS)}"
            )
        force = ForceRef(
            code=row["code"], short_name=row["short_name"], name=row["name"], kind=kind,
            country=row["country"] or "", region=row["region"] or "",
            aliases=tuple(a for a in (row["aliases"] or "").split("|") if a),
        )  # fmt: skip
        forces.append(force)
        for spelling in spellings(force):
            key = alias_key(spelling)
            other = by_key.get(key)
            if other is not None and other.code != force.code:
                raise ReferenceDataError(
                    f"national_forces.csv:{line} aliases: {spelling!r} already names "
                    f"{other.short_name}; expected each spelling to name one force"
                )
            by_key[key] = force
    return ForceReference(tuple(forces), by_key)
