"""Shared by the benchmarks: a simulator process per scale and a throwaway database per run."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from simulator.process import DEFAULT_SEED, spawn_simulator
from simulator.server import SimulatorConfig


@contextmanager
def simulator_process(scale: float) -> Iterator[tuple[str, float]]:
    """A simulator at `scale` in its own process (serving JSON must not share dlt's GIL): (url, start s)."""
    started = time.perf_counter()
    process, url = spawn_simulator(DEFAULT_SEED, scale, Path(tempfile.mkdtemp()) / "ready.json")
    try:
        yield url, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=120)


def source_kwargs(system: str, simulator_url: str) -> dict[str, str]:
    config = SimulatorConfig()
    if system == "sheets":
        return {"base_url": simulator_url, "api_key": config.sheets_api_key, "spreadsheet_id": config.spreadsheet_id}
    return {"base_url": simulator_url, "access_token": config.hubspot_token}


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh database on the warehouse server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
