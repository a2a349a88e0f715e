"""python -m jacobi.cli: the jacobi command."""
from . import main

if __name__ == "__main__":
    raise SystemExit(main())
