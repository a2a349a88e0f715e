"""The jacobi command (subcommands arrive with the command-line work)."""
from __future__ import annotations

import sys


def main(argv=None) -> int:
    print("jacobi: the command line is not built yet; see README.md for the Python API", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
