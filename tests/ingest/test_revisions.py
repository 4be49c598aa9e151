"""Republished months and revised crimes: the latest publication is current, nothing is counted
twice, and what it replaced is kept as history with the batch that replaced it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from policeperf.engine import evaluate
from policeperf.errors import PolicePerfError
from policeperf.ingest import batch as batch_module
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.store.schema import REVISED_TABLES, history_name
from tests.conftest import CAMBS_2024

JAN = "2024-01/2024-01-cambridgeshire-street.csv"
SUU = "Status update unavailable"
CAUTION = "Offender given a caution"


@pytest.fixture(scope="module")
def jan_text() -> str:
    """The real January 2024 Cambridgeshire street file, as published."""
    with zipfile.ZipFile(CAMBS_2024) as zf:
        return zf.read(JAN).decode("utf-8-sig")


@pytest.fixture(scope="module")
def jan_rows(jan_text: str) -> dict[str, list[str]]:
    """Three real rows: a crime awaiting an outcome, another crime, an anti-social behaviour."""
    lines = jan_text.splitlines()
    crimes = [x for x in lines[1:] if x.split(",")[0] and SUU in x]
    others = [x for x in lines[1:] if x.split(",")[0] and SUU not in x]
    asb = [x for x in lines[1:] if "Anti-social behaviour" in x]
    return {"header": [lines[0]], "waiting": crimes[:1], "other": others[:1], "asb": asb[:1]}


def write(folder: Path, lines: list[str], name: str = Path(JAN).name) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def crime_id(row: str) -> str:
    return row.split(",")[0]


def assert_nothing_lost(db: Store) -> None:
    """Per batch: rows in = accepted + quarantined, the quarantine holds the quarantined rows, and
    the accepted rows are either current or history."""
    for batch_id, rows_in, accepted, quarantined in db.fetchall(
        "SELECT batch_id, rows_in, rows_accepted, rows_quarantined FROM ingest_batches"
    ):
        assert rows_in == accepted + quarantined
        held = db.scalar("SELECT count(*) FROM quarantine WHERE batch_id = ?", [batch_id])
        assert held == quarantined
        kept = sum(
            db.scalar(f"SELECT count(*) FROM {t} WHERE batch_id = ?", [batch_id])
            + db.scalar(
                f"SELECT count(*) FROM {history_name(table)} WHERE batch_id = ?", [batch_id]
            )
            for t, table in REVISED_TABLES.items()
        )
        assert kept == accepted, f"batch {batch_id}: {kept} rows kept of {accepted} accepted"


def test_a_month_republished_with_one_character_changed_does_not_double_anti_social_behaviour(
    store: Store, tmp_path: Path, jan_text: str
) -> None:
    asb = sum(1 for r in csv.DictReader(io.StringIO(jan_text)) if not r["Crime ID"])
    crimes = sum(1 for r in csv.DictReader(io.StringIO(jan_text)) if r["Crime ID"])
    assert (asb, crimes) == (871, 5_245)
    first = write(tmp_path / "v1", [jan_text.rstrip("\n")])
    changed = jan_text.replace("On or near", "On or neat", 1)
    assert sum(a != b for a, b in zip(jan_text, changed, strict=True)) == 1
    second = write(tmp_path / "v2", [changed.rstrip("\n")])

    ingest_police_uk(store, [first])
    report = ingest_police_uk(store, [second])

    assert store.scalar("SELECT count(*) FROM asb_incidents") == asb
    assert store.scalar("SELECT count(*) FROM crimes") == crimes
    assert report.batches[0].supersedes == [1]
    assert store.fetchall("SELECT batch_id, superseded_by FROM ingest_batches ORDER BY 1") == [
        (1, 2),
        (2, None),
    ]
    assert store.fetchall(
        "SELECT batch_id, superseded_by, superseded_because, count(*) FROM asb_incidents_history "
        "GROUP BY ALL"
    ) == [(1, 2, "republished", asb)]
    assert store.scalar("SELECT count(*) FROM crimes_history WHERE superseded_by = 2") == crimes
    assert store.scalar("SELECT count(*) FROM quarantine") == 0
    assert_nothing_lost(store)

    results = evaluate(store, "police-uk", "2024-01")
    board = results[(results.measure_id == "asb") & (results.area_level == "force")]
    assert board.value.tolist() == [asb]


def test_a_republished_real_outcome_replaces_status_update_unavailable_which_becomes_history(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    rows = jan_rows["header"] + jan_rows["waiting"] + jan_rows["other"] + jan_rows["asb"]
    revised = [r.replace(SUU, CAUTION) for r in rows]
    ingest_police_uk(store, [write(tmp_path / "v1", rows)])
    report = ingest_police_uk(store, [write(tmp_path / "v2", revised)])

    waiting = crime_id(jan_rows["waiting"][0])
    assert store.fetchall(
        "SELECT last_outcome_label, batch_id FROM crimes WHERE crime_id = ?", [waiting]
    ) == [(CAUTION, 2)]
    assert store.fetchall(
        "SELECT last_outcome_label, batch_id, superseded_by, superseded_because "
        "FROM crimes_history WHERE crime_id = ?",
        [waiting],
    ) == [(SUU, 1, 2, "republished")]
    assert store.scalar("SELECT count(*) FROM crimes") == 2
    assert store.scalar("SELECT count(*) FROM asb_incidents") == 1
    result = report.batches[0]
    assert (result.rows_in, result.rows_accepted, result.rows_quarantined) == (3, 3, 0)
    assert_nothing_lost(store)


def test_a_crime_seen_again_in_a_later_month_with_a_new_outcome_is_a_revision_the_latest_wins(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    header, waiting, other = jan_rows["header"], jan_rows["waiting"][0], jan_rows["other"][0]
    ingest_police_uk(store, [write(tmp_path / "jan", [*header, waiting, other])])
    again = waiting.replace(SUU, CAUTION).replace("2024-01", "2024-02")
    new = other.replace(crime_id(other), "f" * 64).replace("2024-01", "2024-02")
    feb = write(tmp_path / "feb", [*header, again, new], "2024-02-cambridgeshire-street.csv")
    report = ingest_police_uk(store, [feb])

    result = report.batches[0]
    assert (result.rows_in, result.rows_accepted, result.rows_quarantined) == (2, 2, 0)
    assert result.rows_revised == 1
    assert result.supersedes == []
    assert store.fetchall(
        "SELECT strftime(recorded_date, '%Y-%m'), last_outcome_label, batch_id FROM crimes "
        "WHERE crime_id = ?",
        [crime_id(waiting)],
    ) == [("2024-02", CAUTION, 2)]
    assert store.fetchall(
        "SELECT last_outcome_label, batch_id, superseded_by, superseded_because FROM crimes_history"
    ) == [(SUU, 1, 2, "revised")]
    assert store.scalar("SELECT count(*) FROM crimes") == 3
    assert store.fetchall("SELECT superseded_by FROM ingest_batches") == [(None,), (None,)]
    assert_nothing_lost(store)


def test_an_identical_repeat_in_another_file_is_still_a_quarantined_duplicate(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    header, waiting, other = jan_rows["header"], jan_rows["waiting"][0], jan_rows["other"][0]
    ingest_police_uk(store, [write(tmp_path / "jan", [*header, waiting])])
    new = other.replace("2024-01", "2024-02")
    feb = write(tmp_path / "feb", [*header, waiting, new], "2024-02-cambridgeshire-street.csv")
    result = ingest_police_uk(store, [feb]).batches[0]

    assert (result.rows_in, result.rows_accepted, result.rows_quarantined) == (2, 1, 1)
    assert result.quarantined_by_check == {"duplicate": 1}
    reason = store.scalar("SELECT reason FROM quarantine")
    assert reason.startswith(f"Crime ID: duplicate '{crime_id(waiting)}'; first seen in batch 1")
    assert store.scalar("SELECT count(*) FROM crimes_history") == 0
    assert_nothing_lost(store)


def test_the_same_file_ingested_twice_is_still_a_no_op(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    path = write(tmp_path, jan_rows["header"] + jan_rows["waiting"] + jan_rows["asb"])
    ingest_police_uk(store, [path])
    again = ingest_police_uk(store, [path]).batches[0]

    assert again.skipped and again.batch_id == 1
    assert store.scalar("SELECT count(*) FROM ingest_batches") == 1
    assert store.scalar("SELECT count(*) FROM asb_incidents") == 1
    assert store.scalar("SELECT count(*) FROM asb_incidents_history") == 0


def test_two_publications_of_a_month_in_one_command_count_once_and_the_later_wins(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    rows = jan_rows["header"] + jan_rows["waiting"] + jan_rows["asb"]
    old = write(tmp_path / "a-old", rows)
    new = write(tmp_path / "b-new", [r.replace(SUU, CAUTION) for r in rows])
    report = ingest_police_uk(store, [old, new])

    assert [b.superseded_by for b in report.batches] == [2, None]
    assert store.fetchall("SELECT last_outcome_label, batch_id FROM crimes") == [(CAUTION, 2)]
    assert store.scalar("SELECT count(*) FROM asb_incidents") == 1
    assert store.fetchall(
        "SELECT batch_id, superseded_by FROM asb_incidents_history UNION ALL "
        "SELECT batch_id, superseded_by FROM crimes_history"
    ) == [(1, 2), (1, 2)]
    assert store.fetchall("SELECT batch_id, superseded_by FROM ingest_batches ORDER BY 1") == [
        (1, 2),
        (2, None),
    ]
    assert_nothing_lost(store)


def test_the_first_policy_keeps_the_first_publication_and_quarantines_later_ones(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    header, waiting, asb = jan_rows["header"], jan_rows["waiting"][0], jan_rows["asb"][0]
    ingest_police_uk(store, [write(tmp_path / "v1", [*header, waiting, asb])], revisions="first")
    republished = write(tmp_path / "v2", [*header, waiting.replace(SUU, CAUTION), asb])
    again = waiting.replace(SUU, CAUTION).replace("2024-01", "2024-02")
    new = asb.replace("2024-01", "2024-02")
    feb = write(tmp_path / "feb", [*header, again, new], "2024-02-cambridgeshire-street.csv")
    report = ingest_police_uk(store, [republished, feb], revisions="first")

    month, revision = report.batches
    assert (month.rows_in, month.rows_accepted, month.quarantined_by_check) == (
        2,
        0,
        {"republished": 2},
    )
    assert (revision.rows_accepted, revision.quarantined_by_check) == (1, {"revision": 1})
    assert store.fetchall("SELECT last_outcome_label, batch_id FROM crimes") == [(SUU, 1)]
    assert store.scalar("SELECT count(*) FROM asb_incidents") == 2
    assert store.scalar("SELECT count(*) FROM crimes_history") == 0
    reasons = [r for (r,) in store.fetchall("SELECT reason FROM quarantine ORDER BY batch_id")]
    assert "already held by batch 1" in reasons[0]
    assert "published again with different content" in reasons[-1]
    assert_nothing_lost(store)


def snapshot(db: Store) -> dict[str, object]:
    tables = [*REVISED_TABLES, *(history_name(t) for t in REVISED_TABLES.values()), "quarantine"]
    return {
        "counts": {t: db.scalar(f"SELECT count(*) FROM {t}") for t in tables},
        "batches": db.fetchall("SELECT * FROM ingest_batches ORDER BY batch_id"),
        "crimes": db.fetchall("SELECT * FROM crimes ORDER BY crime_id"),
    }


def test_a_failure_in_the_middle_of_a_supersession_leaves_the_store_as_it_was(
    store: Store,
    tmp_path: Path,
    jan_rows: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = jan_rows["header"] + jan_rows["waiting"] + jan_rows["asb"]
    ingest_police_uk(store, [write(tmp_path / "v1", rows)])
    before = snapshot(store)
    republished = write(tmp_path / "v2", [r.replace(SUU, CAUTION) for r in rows])

    def fail(*args: object) -> object:
        # Runs after the earlier month's rows have moved to history and the new ones are in.
        assert store.scalar("SELECT count(*) FROM crimes_history") == 1
        raise PolicePerfError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(batch_module, "_summarise", fail)
        with pytest.raises(PolicePerfError, match="disk full"):
            ingest_police_uk(store, [republished])
    assert snapshot(store) == before

    ingest_police_uk(store, [republished])
    assert store.fetchall("SELECT last_outcome_label FROM crimes") == [(CAUTION,)]
    assert_nothing_lost(store)


def test_the_command_line_says_which_batch_superseded_which(
    tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    from typer.testing import CliRunner

    from policeperf.cli import app

    runner = CliRunner()
    rows = jan_rows["header"] + jan_rows["waiting"] + jan_rows["asb"]
    store = ["--store", str(tmp_path / "s.duckdb")]
    first = write(tmp_path / "v1", rows)
    second = write(tmp_path / "v2", [r.replace(SUU, CAUTION) for r in rows])
    assert runner.invoke(app, ["ingest", "police-uk", str(first), *store]).exit_code == 0

    refused = runner.invoke(app, ["ingest", "police-uk", str(second), "--revisions", "x", *store])
    assert refused.exit_code == 2
    done = runner.invoke(app, ["ingest", "police-uk", str(second), "--json", *store])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["batches"][0]["supersedes"] == [1]

    status = json.loads(runner.invoke(app, ["status", "--json", *store]).stdout)
    assert [(b["batch_id"], b["superseded_by"]) for b in status["superseded"]] == [(1, 2)]
    assert [(b["files"], b["superseded"]) for b in status["sources"]] == [(2, 1)]
    assert status["history"] == [
        {"table": "asb_incidents", "because": "republished", "rows": 1},
        {"table": "crimes", "because": "republished", "rows": 1},
    ]
    text = runner.invoke(app, ["status", *store], env={"COLUMNS": "200"}).stdout
    assert "Superseded batches" in text and "History" in text


def test_an_old_publication_fed_again_is_skipped_and_does_not_become_current(
    store: Store, tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    rows = jan_rows["header"] + jan_rows["waiting"]
    old = write(tmp_path / "old", rows)
    ingest_police_uk(store, [old])
    ingest_police_uk(store, [write(tmp_path / "new", [r.replace(SUU, CAUTION) for r in rows])])
    again = ingest_police_uk(store, [old]).batches[0]

    assert again.skipped and again.batch_id == 1
    assert store.fetchall("SELECT last_outcome_label, batch_id FROM crimes") == [(CAUTION, 2)]


@pytest.mark.parametrize(
    ("kind", "table", "edit"),
    [
        ("outcomes", "outcomes", ("On or near", "On or neat")),
        ("stop-and-search", "stop_searches", ("Male", "Malf")),
    ],
)
def test_a_republished_outcomes_or_stop_and_search_month_replaces_the_one_held(
    store: Store, tmp_path: Path, kind: str, table: str, edit: tuple[str, str]
) -> None:
    name = f"2024-01/2024-01-cambridgeshire-{kind}.csv"
    with zipfile.ZipFile(CAMBS_2024) as zf:
        text = zf.read(name).decode("utf-8-sig").rstrip("\n")
    changed = text.replace(*edit, 1)
    assert changed != text
    ingest_police_uk(store, [write(tmp_path / "v1", [text], Path(name).name)])
    held = store.scalar(f"SELECT count(*) FROM {table}")
    report = ingest_police_uk(store, [write(tmp_path / "v2", [changed], Path(name).name)])

    assert report.batches[0].supersedes == [1]
    assert store.scalar(f"SELECT count(*) FROM {table}") == held > 0
    assert store.scalar(f"SELECT count(*) FROM {history_name(REVISED_TABLES[table])}") == held
    assert_nothing_lost(store)


KILLED_CHILD = """
import sys, time
from pathlib import Path
from policeperf.ingest import batch
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store

def stall(*args):
    Path(sys.argv[3]).write_text("superseded, not committed")
    time.sleep(600)

batch._summarise = stall
with Store(sys.argv[1]) as db:
    ingest_police_uk(db, [sys.argv[2]])
"""


def test_a_process_killed_in_the_middle_of_a_supersession_leaves_the_store_as_it_was(
    tmp_path: Path, jan_rows: dict[str, list[str]]
) -> None:
    rows = jan_rows["header"] + jan_rows["waiting"] + jan_rows["asb"]
    path = tmp_path / "store.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [write(tmp_path / "v1", rows)])
        before = snapshot(db)
    republished = write(tmp_path / "v2", [r.replace(SUU, CAUTION) for r in rows])
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(path), str(republished), str(marker)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the ingest never reached its supersession"
        time.sleep(0.05)
    child.kill()
    child.wait(timeout=30)

    with Store(path) as db:
        assert snapshot(db) == before
