"""The simulator as a background process of the checkout, like the embedded warehouse.

`ensure_simulator()` returns the running instance or starts one (`python -m simulator serve`) and
waits until it answers; its URL and credentials are kept in `.data/simulator.json` so every process
of the checkout (CLI, Dagster runs, tests) talks to the same simulated organisation.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from salesops.settings import data_dir

DEFAULT_SEED = 42
DEFAULT_SCALE = 1.0


@dataclass(frozen=True)
class SimulatorHandle:
    """How to reach a running simulator."""

    url: str
    pid: int
    seed: int
    scale: float
    hubspot_token: str
    sheets_api_key: str
    spreadsheet_id: str


def _state_file() -> Path:
    return data_dir() / "simulator.json"


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    with open(data_dir() / "simulator.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_simulator/health", timeout=2).ok
    except requests.RequestException:
        return False


def running_simulator() -> SimulatorHandle | None:
    """The checkout's simulator if it is up, else None."""
    path = _state_file()
    if not path.exists():
        return None
    handle = SimulatorHandle(**json.loads(path.read_text()))
    return handle if _healthy(handle.url) else None


def ensure_simulator(seed: int = DEFAULT_SEED, scale: float = DEFAULT_SCALE, extra_args: list[str] | None = None,
                     timeout: float = 300.0) -> SimulatorHandle:
    """The running simulator, or a new one started in the background with `seed` and `scale`."""
    with _locked():
        handle = running_simulator()
        if handle is not None:
            return handle
        return _start(seed, scale, extra_args or [], timeout)


def spawn_simulator(seed: int, scale: float, ready: Path, log: Any = subprocess.DEVNULL,
                    extra_args: list[str] | None = None, timeout: float = 300.0) -> tuple[subprocess.Popen, str]:
    """Start `python -m simulator serve` in its own process and wait for its ready file: (process, url)."""
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--seed", str(seed), "--scale", str(scale),
         "--ready-file", str(ready), *(extra_args or [])],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError(f"simulator exited with code {process.returncode}")
        if time.monotonic() > deadline:
            process.terminate()
            raise TimeoutError(f"simulator not ready after {timeout:.0f} s")
        time.sleep(0.1)
    return process, json.loads(ready.read_text())["url"]


def _start(seed: int, scale: float, extra_args: list[str], timeout: float) -> SimulatorHandle:
    from simulator.server import SimulatorConfig

    config = SimulatorConfig()
    log_path = data_dir() / "simulator.log"
    with open(log_path, "ab") as log:  # the child keeps its own descriptor
        try:
            process, url = spawn_simulator(seed, scale, data_dir() / "simulator.ready.json", log, extra_args, timeout)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; see {log_path}") from error
    handle = SimulatorHandle(url=url, pid=process.pid, seed=seed, scale=scale, hubspot_token=config.hubspot_token,
                             sheets_api_key=config.sheets_api_key, spreadsheet_id=config.spreadsheet_id)
    _state_file().write_text(json.dumps(asdict(handle)))
    return handle


def stop_simulator() -> bool:
    """Stop the checkout's simulator; False when none was running."""
    with _locked():
        path = _state_file()
        if not path.exists():
            return False
        handle = SimulatorHandle(**json.loads(path.read_text()))
        path.unlink()
        try:
            os.kill(handle.pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True
