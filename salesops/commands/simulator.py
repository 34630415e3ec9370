"""`salesops simulator serve|start|stop|status|advance`: the local CRM, marketing and Sheets services."""

from __future__ import annotations

import argparse
import json
import sys


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("simulator", help="the source-system simulator (HubSpot, Sheets)")
    actions = parser.add_subparsers(dest="action", required=True)
    serve = actions.add_parser("serve", help="serve in the foreground (all flags: `serve --help`)",
                               add_help=False)
    serve.add_argument("rest", nargs=argparse.REMAINDER)
    serve.set_defaults(handler=_serve)
    start = actions.add_parser("start", help="start in the background for this checkout")
    start.add_argument("--seed", type=int, default=42)
    start.add_argument("--scale", type=float, default=1.0)
    start.set_defaults(handler=_start)
    actions.add_parser("stop", help="stop the background simulator").set_defaults(handler=_stop)
    actions.add_parser("status", help="print URL and credentials as JSON").set_defaults(handler=_status)
    advance = actions.add_parser("advance", help="simulate N more days of business")
    advance.add_argument("--days", type=int, default=1)
    advance.set_defaults(handler=_advance)


def _serve(args: argparse.Namespace) -> int:
    from simulator.server import serve_main

    return serve_main(args.rest)


def _start(args: argparse.Namespace) -> int:
    from simulator.process import ensure_simulator

    handle = ensure_simulator(seed=args.seed, scale=args.scale)
    print(handle.url)
    return 0


def _stop(args: argparse.Namespace) -> int:
    from simulator.process import stop_simulator

    print("stopped" if stop_simulator() else "not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from simulator.process import running_simulator

    handle = running_simulator()
    if handle is None:
        print("not running", file=sys.stderr)
        return 3
    print(json.dumps(asdict(handle), indent=2))
    return 0


def _advance(args: argparse.Namespace) -> int:
    import requests

    from simulator.process import ensure_simulator

    response = requests.post(f"{ensure_simulator().url}/_simulator/advance", params={"days": args.days}, timeout=600)
    response.raise_for_status()
    print(json.dumps(response.json(), indent=2))
    return 0
