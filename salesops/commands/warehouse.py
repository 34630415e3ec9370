"""`salesops warehouse start|stop|status|url`."""

from __future__ import annotations

import argparse
import json

from salesops.settings import external_warehouse_url
from salesops.warehouse import EmbeddedWarehouse, warehouse_url


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("warehouse", help="start, stop or locate the PostgreSQL warehouse")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, handler, text in (
        ("start", _start, "start the embedded server (no-op when WAREHOUSE_URL is set)"),
        ("stop", _stop, "stop the embedded server"),
        ("status", _status, "print the server's status as JSON"),
        ("url", _url, "print only the connection URL (for psql and psycopg)"),
    ):
        actions.add_parser(name, help=text).set_defaults(handler=handler)


def _start(args: argparse.Namespace) -> int:
    print(warehouse_url(start=True))
    return 0


def _stop(args: argparse.Namespace) -> int:
    if external_warehouse_url():
        print("WAREHOUSE_URL is set: the external server is not managed by salesops")
        return 0
    print("stopped" if EmbeddedWarehouse().stop() else "not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    external = external_warehouse_url()
    if external:
        from salesops.warehouse import wait_until_ready

        wait_until_ready(external, timeout=5)
        print(json.dumps({"embedded": False, "running": True, "url": external}, indent=2))
        return 0
    status = EmbeddedWarehouse().status()
    print(json.dumps(status, indent=2))
    return 0 if status["running"] else 3


def _url(args: argparse.Namespace) -> int:
    print(warehouse_url(start=True))
    return 0
