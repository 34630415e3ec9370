"""Shared fixtures: a real PostgreSQL (embedded, or `WAREHOUSE_URL`), a fresh database per test,
and an in-process source-system simulator at a small scale.

Tests keep their own embedded server under `.data/test`, so running them never touches the demo's
warehouse; each test that loads data gets a throwaway database and its own dlt working directory.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from salesops.settings import PROJECT_ROOT

TEST_DATA_DIR = PROJECT_ROOT / ".data" / "test"
SIMULATOR_SCALE = 0.03
os.environ.setdefault("SALESOPS_DATA_DIR", str(TEST_DATA_DIR))


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of the test PostgreSQL server. The embedded one (under `.data/test`, used only by tests) is
    stopped at the end unless another test session still uses it: each session holds a shared lock
    on a file meanwhile, and the last one out gets the exclusive lock."""
    from salesops.settings import external_warehouse_url
    from salesops.warehouse import EmbeddedWarehouse, warehouse_url

    embedded = None if external_warehouse_url() else EmbeddedWarehouse()
    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(TEST_DATA_DIR / "test-sessions.lock", "a") as sessions:
        fcntl.flock(sessions, fcntl.LOCK_SH)
        yield warehouse_url()
        if embedded:
            try:
                fcntl.flock(sessions, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another session is still running its tests
            embedded.stop()


@pytest.fixture
def warehouse_db(server_url: str, tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards; dlt state kept in `tmp_path`."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("SALESOPS_DLT_DIR", str(tmp_path / "dlt"))
    url = _with_database(server_url, name)
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def simulator():
    """A small simulated organisation served in-process on a free port."""
    from simulator.server import SimulatorConfig, SimulatorServer

    server = SimulatorServer(SimulatorConfig(scale=SIMULATOR_SCALE))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _point_sources_at(simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every dlt source at `simulator` through dlt configuration, as a user would."""
    config = simulator.config
    for system in ("CRM", "MARKETING"):
        monkeypatch.setenv(f"SOURCES__{system}__BASE_URL", simulator.url)
        monkeypatch.setenv(f"SOURCES__{system}__ACCESS_TOKEN", config.hubspot_token)
    monkeypatch.setenv("SOURCES__SHEETS__BASE_URL", simulator.url)
    monkeypatch.setenv("SOURCES__SHEETS__API_KEY", config.sheets_api_key)
    monkeypatch.setenv("SOURCES__SHEETS__SPREADSHEET_ID", config.spreadsheet_id)


@pytest.fixture
def sources_env(simulator, monkeypatch) -> None:
    """Point every dlt source at the module's test simulator."""
    _point_sources_at(simulator, monkeypatch)


@pytest.fixture(scope="session")
def built_warehouse(server_url, tmp_path_factory):
    """A database holding a small simulated organisation loaded by dlt and built by `dbt build` (unit
    tests included), shared by the session's tests that read the marts. Returns url, target (dbt's
    target dir), work (scratch dir, dlt state under work/dlt), the simulator serving the data and
    `load` (loads what the simulator has added since)."""
    import psycopg

    from ingestion.pipelines import run_pipeline
    from salesops.dbt_env import run_tool
    from simulator.server import SimulatorConfig, SimulatorServer

    name = f"test_built_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    work = tmp_path_factory.mktemp("built")
    server = SimulatorServer(SimulatorConfig(scale=SIMULATOR_SCALE))

    def load() -> None:
        """Load every source incrementally from the simulator, as the daily job does."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SALESOPS_DLT_DIR", str(work / "dlt"))
            _point_sources_at(server, mp)
            for system in ("crm", "marketing", "sheets"):
                run_pipeline(system, url)

    server.start()
    try:
        load()
        target = work / "target"
        build = run_tool("dbt", "build", "--target-path", str(target), url=url)
        assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-2000:]
        yield {"url": url, "target": target, "work": work, "simulator": server, "load": load}
    finally:
        server.stop()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
