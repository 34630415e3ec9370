"""`python -m simulator serve ...`: run the source-system simulator in the foreground."""

import sys

from simulator.server import serve_main

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["serve"]:
        args = args[1:]
    sys.exit(serve_main(args))
