"""Issue 9 item 13: Host names, redirects, security headers and the token.

DNS rebinding lets another site's page talk to the loopback dashboard under its own name; a
trailing-slash redirect then pointed at the attacker's host. Responses had no CSP, framing or
referrer policy; `?token=` stayed in the URL; a token of 16 spaces was accepted; `--token` was
visible in `ps`.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from policeperf.cli import app as cli
from policeperf.errors import PolicePerfError
from policeperf.web import Settings
from policeperf.web.guard import HOST_REFUSED
from policeperf.web.settings import check_token, read_token
from tests.web.conftest import client

TOKEN = "s3cret-token-of-24-chars"


@pytest.fixture(scope="module")
def loopback(demo_store_path: Path) -> TestClient:
    return client(Settings(store=demo_store_path))


@pytest.fixture(scope="module")
def guarded(demo_store_path: Path) -> TestClient:
    return client(Settings(store=demo_store_path, host="0.0.0.0", token=TOKEN))


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost:9999", ""])
def test_a_host_name_not_allowed_is_refused(loopback: TestClient, host: str) -> None:
    response = loopback.get("/api/months", headers={"Host": host})
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": HOST_REFUSED}}


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"]
)
def test_the_loopback_names_with_the_port_are_answered(loopback: TestClient, host: str) -> None:
    assert loopback.get("/healthz", headers={"Host": host}).status_code == 200


def test_allowed_host_adds_a_name_with_or_without_the_port(demo_store_path: Path) -> None:
    named = client(Settings(store=demo_store_path, allowed_hosts=("Dash.example.org",)))
    for host in ("dash.example.org", "dash.example.org:8000"):
        assert named.get("/healthz", headers={"Host": host}).status_code == 200
    assert named.get("/healthz", headers={"Host": "dash.example.org:81"}).status_code == 400


def test_redirects_never_lead_to_another_host(loopback: TestClient, guarded: TestClient) -> None:
    evil = loopback.get("/measures/all_crime/", headers={"Host": "evil.example:8000"},
                        follow_redirects=False)  # fmt: skip
    assert evil.status_code == 400 and "location" not in evil.headers
    slash = loopback.get("/measures/all_crime/", follow_redirects=False)
    assert slash.status_code in (307, 308)
    assert slash.headers["location"].startswith("http://127.0.0.1:8000/measures/all_crime")
    url = httpx.URL("http://127.0.0.1:8000/").copy_with(
        raw_path=f"//evil.example/?token={TOKEN}".encode()
    )
    swap = guarded.send(guarded.build_request("GET", url), follow_redirects=False)
    assert swap.status_code == 303 and swap.headers["location"] == "/evil.example/"


@pytest.mark.parametrize(
    "path", ["/", "/static/app.css", "/api/months", "/measures/nope", "/?month=March"]
)
def test_every_response_carries_the_security_headers(
    loopback: TestClient, guarded: TestClient, path: str
) -> None:
    guarded.cookies.clear()
    for response in (
        loopback.get(path),
        guarded.get(path),  # 401
        loopback.get(path, headers={"Host": "evil.example"}),  # 400
    ):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "http" not in csp and "*" not in csp  # no source but the dashboard itself
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_a_token_in_the_url_becomes_a_strict_cookie_and_leaves_the_url(
    guarded: TestClient,
) -> None:
    guarded.cookies.clear()
    swap = guarded.get(f"/?month=2021-03&token={TOKEN}&area=all", follow_redirects=False)
    assert swap.status_code == 303
    assert swap.headers["location"] == "/?month=2021-03&area=all"
    cookie = swap.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    page = guarded.get(swap.headers["location"])
    assert page.status_code == 200 and TOKEN not in page.text
    guarded.cookies.clear()
    wrong = guarded.get("/?token=wrong-token-wrong-token", follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers


@pytest.mark.parametrize("token", [" " * 16, "\t" * 40, "abc def ghi jkl m", "  fifteen-chars!  "])
def test_tokens_of_whitespace_or_under_16_non_space_characters_are_refused(token: str) -> None:
    with pytest.raises(PolicePerfError, match="non-space characters; expected at least 16"):
        check_token(token)


def test_the_token_comes_from_a_file_or_the_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert read_token(token_file, {"POLICEPERF_TOKEN": "other-token-from-env"}) == TOKEN
    assert read_token(None, {"POLICEPERF_TOKEN": f" {TOKEN} "}) == TOKEN
    assert read_token(None, {}) is None
    token_file.write_text(" " * 20 + "\n")
    with pytest.raises(PolicePerfError, match="got 0 non-space characters"):
        read_token(token_file, {})


def test_serve_refuses_a_token_on_the_command_line_and_weak_token_files(tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["serve", "--token", TOKEN, "--store", str(tmp_path / "x")])
    assert shown.exit_code == 2
    assert shown.output.strip().splitlines() == [
        "error: --token is not accepted: every user of this machine can read it with ps; "
        "use --token-file FILE or $POLICEPERF_TOKEN"
    ]
    blank = tmp_path / "token"
    blank.write_text(" " * 16)
    args = [
        "serve",
        "--host",
        "0.0.0.0",
        "--token-file",
        str(blank),
        "--store",
        str(tmp_path / "x"),
    ]
    weak = runner.invoke(cli, args, env={"POLICEPERF_TOKEN": ""})
    assert weak.exit_code == 1
    assert "token: got 0 non-space characters; expected at least 16" in weak.output
    spaces = runner.invoke(cli, [*args[:3], "--store", str(tmp_path / "x")],
                           env={"POLICEPERF_TOKEN": " " * 16})  # fmt: skip
    assert spaces.exit_code == 1 and "got 0 non-space characters" in spaces.output
