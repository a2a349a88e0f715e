"""Reading the command's options: names, NAME=VALUE pairs, layer sizes, the expression and its variables."""
from __future__ import annotations

from ..core.shapes import JacobiError
from ..parse import parse_result

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3

_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


def name_list(values: list | None, what: str) -> list[str]:
    """NAME options given several times and/or comma-separated, in order, without repeats."""
    out: list[str] = []
    for v in values or []:
        for part in v.split(","):
            part = part.strip()
            if not part or not part[0].isalpha() or any(c not in _NAME_CHARS for c in part):
                raise JacobiError(f"{what} {v!r}: {part!r} is not a name")
            if part not in out:
                out.append(part)
    return out


def assignments(values: list | None, what: str) -> dict:
    """NAME=VALUE options."""
    out: dict = {}
    for v in values or []:
        name, eq, value = v.partition("=")
        name = name.strip()
        if not eq or not name or not name[0].isalpha() or any(c not in _NAME_CHARS for c in name):
            raise JacobiError(f"{what} {v!r}: expected NAME=VALUE")
        if name in out:
            raise JacobiError(f"{what} {name} is given twice")
        out[name] = value.strip()
    return out


def read_expression(args):
    """The expression of a diff or check command, its declarations checked against it."""
    shapes = assignments(args.shape, "--shape")
    dists = name_list(args.distribution, "--distribution")
    res = parse_result(args.expr, shapes, strict=args.strict, distributions=dists)
    for name in list(shapes) + dists:
        if name not in res.symbols:
            raise JacobiError(f"the expression has no variable {name} (its variables: {listing(res.symbols)})")
    return res


def wrt_symbols(res, values, default_all=False) -> list:
    names = name_list(values, "--wrt")
    if not names:
        if default_all:
            return list(res.symbols.values())
        raise JacobiError("--wrt is needed: the variable(s) to differentiate with respect to")
    out = []
    for n in names:
        if n not in res.symbols:
            raise JacobiError(f"--wrt {n}: the expression has no variable {n} (its variables: {listing(res.symbols)})")
        out.append(res.symbols[n])
    return out


def listing(names) -> str:
    return ", ".join(names) or "none"


def shape_text(s) -> str:
    r, c = s.shape
    if s.is_scalar:
        return "scalar"
    return str(r) if c == 1 and r != 1 else f"{r} x {c}"


def header(res, name: str) -> list[str]:
    shapes = ", ".join(f"{n}: {shape_text(s)}" for n, s in res.symbols.items())
    return [f"{name} = {res.expr}"] + ([shapes] if shapes else [])


def layer_sizes(text: str) -> list:
    """[4, "n1", 10] from "4,n1,10"; a JacobiError names what is wrong."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2:
        raise JacobiError(f"--layers {text!r}: a network needs at least two sizes, input and output (e.g. 4,3,2)")
    out: list = []
    for k, p in enumerate(parts, start=1):
        if not p:
            raise JacobiError(f"--layers {text!r}: size {k} is empty")
        if p.isascii() and p.isdigit():
            if int(p) < 1:
                raise JacobiError(f"--layers {text!r}: size {k} is {p}; a layer has at least one neuron")
            out.append(int(p))
        elif p[0].isalpha() and p.isascii() and all(c in _NAME_CHARS for c in p):
            out.append(p)
        else:
            raise JacobiError(f"--layers {text!r}: {p!r} is not a layer size (a positive integer or a name such as "
                              "n1)")
    return out


def positive(v: str, what: str) -> int:
    if not (v.isascii() and v.isdigit()) or int(v) < 1:
        raise JacobiError(f"{what}={v}: a size is a positive integer")
    return int(v)

