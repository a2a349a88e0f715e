"""Reading the command's options: names, NAME=VALUE pairs, layer sizes, the expression and its variables."""
from __future__ import annotations

import argparse
import math
import os
import re

from ..core import structure
from ..core.shapes import JacobiError
from ..core.structure import STRUCTURES
from ..parse import parse_result

EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3
_DIGITS = 18  # longer numbers are refused before int() reads them (Python refuses 4300 digits itself)

_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


def name_list(values: list | None, what: str, unique: bool = True) -> list[str]:
    """NAME options given several times and/or comma-separated, in order; without repeats if unique
    (a per-layer list such as --activation relu,tanh,relu keeps them)."""
    out: list[str] = []
    for v in values or []:
        for part in v.split(","):
            part = part.strip()
            if not part or not part[0].isalpha() or any(c not in _NAME_CHARS for c in part):
                raise JacobiError(f"{what} {v!r}: {part!r} is not a name")
            if not unique or part not in out:
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


# 3, n, 2x3, mxn, m x n, 2,3 or scalar: sizes are numbers or names, never products such as 2*n
_SHAPE = re.compile(r"\s*(?:scalar|\w+(?:\s*[x×,]\s*\w+)?)\s*", re.ASCII)


def read_expression(args):
    """The expression of a diff or check command, its declarations checked against it."""
    shapes = assignments(args.shape, "--shape")
    for name, spec in shapes.items():
        if not _SHAPE.fullmatch(spec):
            raise JacobiError(f"--shape {name}={spec}: {spec!r} is not a shape; a size is a number or a name: "
                              "3, n, 2x3, mxn or scalar")
    dists = name_list(args.distribution, "--distribution")
    structures = {k: name_list(getattr(args, k), "--" + k.replace("_", "-")) for k in STRUCTURES}
    res = parse_result(args.expr, shapes, strict=args.strict, distributions=dists, syntax=args.syntax, **structures)
    for name in list(shapes) + dists + [n for names in structures.values() for n in names]:
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
    declared = structure.words(s.assumptions)  # n x n symmetric
    return str(r) if c == 1 and r != 1 else f"{r} x {c}" + (f" {declared}" if declared else "")


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
            if len(p) > _DIGITS:
                raise JacobiError(f"--layers: size {k} ({p:.40}...) is too large")
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
    if not (v.isascii() and v.isdigit()) or len(v) > _DIGITS or int(v) < 1:
        raise JacobiError(f"{what}={v:.40}: a size is a positive integer below 10**{_DIGITS}")
    return int(v)




def output_paths(args, options: tuple) -> list:
    """The (option, path) pairs of the output files asked for, refused before anything is written: an empty
    name, a folder, a missing folder, one file named twice, or an existing file without --force."""
    out, seen = [], {}
    for opt in options:
        path = getattr(args, opt.lstrip("-"))
        if path is None:
            continue
        if not path.strip():
            raise JacobiError(f"{opt}: the file name is empty")
        full = os.path.abspath(path)
        if full in seen:
            raise JacobiError(f"{seen[full]} and {opt} name the same file {path}")
        seen[full] = opt
        folder = os.path.dirname(full)
        if os.path.isdir(full):
            raise JacobiError(f"{opt} {path}: is a folder, not a file")
        if not os.path.isdir(folder):
            raise JacobiError(f"{opt} {path}: No such file or directory: {os.path.dirname(path) or folder}")
        if os.path.exists(full) and not args.force:
            raise JacobiError(f"{opt} {path}: the file exists; add --force to overwrite it")
        out.append((opt, path))
    return out


def count(text: str) -> int:
    """A positive integer option value (underscores allowed: 1_000_000); argparse reports the error."""
    t = text.strip().replace("_", "")
    if not (t.isascii() and t.isdigit()) or len(t) > _DIGITS or int(t) < 1:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a positive integer below 10**{_DIGITS}")
    return int(t)


def seed(text: str) -> int:
    t = text.strip()
    if not (t.isascii() and t.isdigit()) or len(t) > _DIGITS:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a seed (an integer >= 0, below 10**{_DIGITS})")
    return int(t)


def tolerance(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a tolerance (a finite number >= 0)")
    return v
