"""One force reference: every spelling the publications use names one force."""

from __future__ import annotations

import pytest

from policeperf.errors import ReferenceDataError
from policeperf.reference.national_forces import alias_key, load_force_reference


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Avon & Somerset", "E23000036"),
        ("Avon and Somerset", "E23000036"),
        ("Avon and Somerset Constabulary", "E23000036"),
        ("Metropolitan Police", "E23000001"),
        ("Metropolitan Police Service", "E23000001"),
        ("London, City of", "E23000034"),
        ("City of London", "E23000034"),
        ("City of London Police", "E23000034"),
        ("Devon & Cornwall Police", "E23000035"),
        ("Devon and Cornwall", "E23000035"),
        ("  cambridgeshire  constabulary ", "E23000023"),
        ("E23000023", "E23000023"),
        ("Dyfed-Powys", "W15000004"),
        ("Police Service of Northern Ireland", "N23000001"),
    ],
)
def test_each_spelling_resolves_to_its_force(name: str, code: str) -> None:
    found = load_force_reference().resolve(name)
    assert found is not None and found.code == code


def test_the_reference_has_43_territorial_forces_with_ons_codes() -> None:
    forces = load_force_reference().territorial()
    assert len(forces) == 43
    assert sum(f.country == "Wales" for f in forces) == 4
    assert all(f.code[:3] in ("E23", "W15") for f in forces)


def test_regions_are_not_forces() -> None:
    ref = load_force_reference()
    assert ref.resolve("West Midlands (region)") is None
    assert ref.resolve("West Midlands").code == "E23000014"  # type: ignore[union-attr]


def test_an_unknown_force_is_one_line_listing_the_forces() -> None:
    with pytest.raises(ReferenceDataError) as caught:
        load_force_reference().require("Narnia")
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("--force: got 'Narnia'; expected a police force area")
    assert "Cambridgeshire" in str(caught.value)


def test_the_key_reads_ampersand_as_and_and_ignores_punctuation() -> None:
    assert alias_key("London, City of") == alias_key("london city of")
    assert alias_key("Avon & Somerset") == alias_key("AVON AND SOMERSET")
