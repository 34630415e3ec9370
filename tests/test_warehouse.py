"""The warehouse: embedded server lifecycle, the `salesops warehouse` commands, WAREHOUSE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from salesops.warehouse import EmbeddedWarehouse


def salesops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "salesops.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_url_prints_only_a_usable_connection_url(server_url):
    result = salesops("warehouse", "url")
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.count("\n") == 0 and url.startswith("postgresql://")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "salesops"


def test_status_reports_running_server(server_url):
    result = salesops("warehouse", "status")
    status = json.loads(result.stdout)
    assert result.returncode == 0 and status["running"] and status["embedded"]


def test_tcp_logins_need_the_password(server_url):
    if os.environ.get("WAREHOUSE_URL"):
        pytest.skip("external server: its authentication is the user's")
    wrong = server_url.replace(server_url.split(":")[2].split("@")[0], "wrong-password")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(wrong)


def test_warehouse_url_switches_every_component(warehouse_db):
    result = salesops("warehouse", "url", env={"WAREHOUSE_URL": warehouse_db})
    assert result.stdout.strip() == warehouse_db


def test_two_checkouts_get_separate_servers(server_url, tmp_path):
    if os.environ.get("WAREHOUSE_URL"):
        pytest.skip("only the embedded server is managed")
    other = EmbeddedWarehouse(tmp_path / "other-checkout")
    try:
        other_url = other.start()
        assert other_url != server_url
        assert other.start() == other_url  # idempotent
        with psycopg.connect(other_url) as conn:
            conn.execute("CREATE TABLE only_here (x int)")
            conn.commit()
        with psycopg.connect(server_url) as conn:
            assert conn.execute("SELECT to_regclass('only_here')").fetchone()[0] is None
    finally:
        assert other.stop()
    assert not other.status()["running"]
