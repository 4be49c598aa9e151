"""Activities and per-standard investigations through column mappings: accepted or quarantined
with a reason, like every other table."""

from __future__ import annotations

from pathlib import Path

from policeperf.ingest.run import ingest_table
from policeperf.store import Store, coverage
from policeperf.synth import mapping_path

ACTIVITIES_MAPPING = """\
table: activities
constants: {force: Demo Constabulary}
columns:
  activity_id: REF
  activity_date: {from: DATE, format: "%d/%m/%Y"}
  activity_type: {from: CODE, values: {DISP: dispersal_authorisation, CBO: criminal_behaviour_order, POCA: asset_recovery}}
  outcome: RESULT
  quantity: AMOUNT
  unit: UNIT
  age_band: {from: AGE, values: {U18: under_18, ADULT: "25_34"}}
  gang_related: {from: GANG, values: {"Y": true, "N": false}}
  district: CSP
"""

ACTIVITY_ROWS = """\
REF,DATE,CODE,RESULT,AMOUNT,UNIT,AGE,GANG,CSP
A1,03/04/2020,DISP,granted,,,U18,Y,Northam
A2,04/04/2020,POCA,forfeiture,2500.50,gbp,ADULT,N,Cambury
A3,05/04/2020,ASBO,granted,,,U18,N,Cambury
A4,31/04/2020,CBO,granted,,,U18,N,Cambury
A5,06/05/2020,CBO,refused,,,TEEN,N,Hunton
A6,07/05/2020,POCA,confiscation,lots,gbp,ADULT,N,Hunton
A1,08/05/2020,CBO,granted,,,U18,N,Hunton
A7,09/05/2020,,granted,,,U18,N,Hunton
"""


def test_activities_are_accepted_or_quarantined_with_their_reason(
    tmp_path: Path, store: Store
) -> None:
    mapping = tmp_path / "activities.yaml"
    mapping.write_text(ACTIVITIES_MAPPING)
    csv = tmp_path / "activities.csv"
    csv.write_text(ACTIVITY_ROWS)
    report = ingest_table(store, [csv], mapping_path=mapping)
    assert (report.rows_in, report.rows_accepted, report.rows_quarantined) == (8, 2, 6)
    assert store.fetchall(
        "SELECT activity_id, activity_type, outcome, quantity, unit, age_band, gang_related, "
        "district, area FROM activities ORDER BY activity_id"
    ) == [
        ("A1", "dispersal_authorisation", "granted", None, None, "under_18", True, "Northam",
         "North"),
        ("A2", "asset_recovery", "forfeiture", 2500.5, "gbp", "25_34", False, "Cambury", "South"),
    ]  # fmt: skip
    reasons = dict(store.fetchall("SELECT line, reason FROM quarantine ORDER BY line"))
    assert reasons[4] == "CODE: got 'ASBO'; expected one of CBO, DISP, POCA"
    assert reasons[5] == "DATE: got '31/04/2020'; expected a date (%d/%m/%Y)"
    assert reasons[6] == "AGE: got 'TEEN'; expected one of ADULT, U18"
    assert reasons[7].startswith("AMOUNT: got 'lots'; expected")
    assert "duplicate" in reasons[8]
    assert "CODE" in reasons[9] and "required" in reasons[9]
    held = coverage.by_table(store.con)[("Demo Constabulary", "activities")]
    assert [m.month for m in held] == [4]  # the span of the accepted rows: May's were all refused


INVESTIGATION_ROWS = """\
CRIME_REF,AUDIT_DATE,STATUS,COMPLIANT,HO_CODE,ALLOCATED,VCC_DUE,VCC_ON_TIME,REVIEW_DUE,REVIEW_DONE,SUSPECT_MANAGED
C1,01/05/2020,Under investigation,N,19C,Y,Y,N,N,,
C2,01/05/2020,Under investigation,Y,28E,Y,N,,Y,Y,Y
C3,01/05/2020,Under investigation,Y,ZZ9,Y,N,,N,,
C4,01/05/2020,Under investigation,Y,28E,Y,maybe,,N,,
"""


def test_investigations_carry_each_standard_and_the_offence_of_their_code(
    tmp_path: Path, store: Store
) -> None:
    csv = tmp_path / "investigations.csv"
    csv.write_text(INVESTIGATION_ROWS)
    report = ingest_table(store, [csv], mapping_path=mapping_path("demo-investigations"))
    assert (report.rows_in, report.rows_accepted, report.rows_quarantined) == (4, 2, 2)
    assert store.fetchall(
        "SELECT crime_id, compliant, allocated, vcc_contact_due, vcc_contact_made, "
        "supervisory_review_due, supervisory_review_done, suspect_managed, offence_subgroup, "
        "force FROM investigations ORDER BY crime_id"
    ) == [
        ("C1", False, True, True, False, False, None, None, "Rape offences", "Demo Constabulary"),
        ("C2", True, True, False, None, True, True, True, "Domestic burglary",
         "Demo Constabulary"),
    ]  # fmt: skip
    reasons = dict(store.fetchall("SELECT line, reason FROM quarantine ORDER BY line"))
    assert reasons == {
        4: "HO_CODE: got 'ZZ9'; expected a Home Office offence code (reference offence_codes)",
        5: "VCC_DUE: got 'maybe'; expected one of N, Y",
    }


def test_an_investigations_export_with_one_compliant_flag_still_ingests(
    tmp_path: Path, store: Store
) -> None:
    """The mapping of schema 3 (crime, date, status, compliant) is still a valid mapping: the
    standards it does not give are NULL, and offence, force and district come from the crime."""
    mapping = tmp_path / "old.yaml"
    mapping.write_text(
        "table: investigations\ncolumns:\n  crime_id: CRIME_REF\n"
        '  snapshot_date: {from: AUDIT_DATE, format: "%d/%m/%Y"}\n  status: STATUS\n'
        '  compliant: {from: COMPLIANT, values: {"Y": true, "N": false}}\n'
    )
    csv = tmp_path / "old.csv"
    csv.write_text("CRIME_REF,AUDIT_DATE,STATUS,COMPLIANT\nC1,01/05/2020,open,Y\n")
    report = ingest_table(store, [csv], mapping_path=mapping)
    assert report.rows_accepted == 1
    assert store.fetchall(
        "SELECT crime_id, compliant, vcc_contact_due, force, offence_category FROM investigations"
    ) == [("C1", True, None, None, None)]
