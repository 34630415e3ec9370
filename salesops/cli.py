"""`salesops`: the one command-line entry point. Each command group lives in `salesops.commands.*`
and registers its own subcommands, so later features add a module rather than editing this file."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_GROUPS = ("warehouse", "simulator", "ingest", "dbt", "demo", "ui", "forecast", "scoring", "territory",
                  "callers", "leads")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesops", description="Sales performance warehouse: ingestion, warehouse, ML and lead routing.")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for name in COMMAND_GROUPS:
        importlib.import_module(f"salesops.commands.{name}").register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a clear one-line message for users, not a traceback
        if getattr(args, "debug", False) or isinstance(error, AssertionError):
            raise
        print(f"salesops: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
