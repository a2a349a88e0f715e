"""The registries as jacobi ships them (a helper module, not tests).

Tests register throwaway entries while they run (user functions, a scratch
backend), so the shipped entries are read in a fresh interpreter: the
coverage tests hold every one of those to its rule-test case, its LaTeX
golden and its code on every backend, and a new entry is held to them too.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from functools import lru_cache

_PROGRAM = """
import importlib
import json
import jacobi
from jacobi.codegen import BACKENDS
from jacobi.core import PRIMITIVES, callables, functions
from jacobi.nn import COSTS
print(json.dumps({"functions": list(functions.FUNCTIONS), "primitives": list(PRIMITIVES),
                  "callables": list(callables.CALLABLES), "costs": list(COSTS), "backends": list(BACKENDS)}))
"""


@lru_cache(maxsize=None)
def shipped() -> dict:
    """name lists of every registry, as `import jacobi` leaves them."""
    out = subprocess.run([sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def installed(be: str) -> bool:
    """Whether the array library of the backend named be can be imported here."""
    from jacobi.codegen import BACKENDS

    try:
        importlib.import_module(BACKENDS[be].module)
    except ImportError:
        return False
    return True
