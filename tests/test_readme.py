"""The README shows what jacobi prints: its code blocks run, and what they quote is compared.

- A ``console`` block is commands (``$ jacobi ...``, a trailing ``\\`` continues one) each followed
  by its output: every command runs (``python -m jacobi``, in a fresh folder), and its stdout and
  stderr together must read as quoted.
- A ``python`` block runs statement by statement in one namespace per section.  A comment after an
  expression statement quotes its value as a notebook shows it (``repr``, or ``str``), a note after
  three or more spaces in parentheses aside; where the comment ends with ':' the comment lines after
  it quote the value; ``print(...)`` followed by comment lines quotes what it prints, line by line.
- ``...`` stands for any text (a line of its own: any number of lines); a number in scientific
  notation (a relative error, 2.42e-10) stands for any such number, since rounding differs between
  machines.

SECTIONS lists the parts of the README checked this way; an assignment or a statement with no comment
is only run.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: (heading, the kinds of blocks of that section to run); a heading's section runs to the next heading
SECTIONS = [
    ("## Command-line tour", ("console",)),
    ("### matrixcalculus.org's syntax", ("console",)),
    ("## API tour", ("python",)),
    ("### Networks: the four equations of backpropagation", ("python",)),
    ("### Derivations as LaTeX", ("python", "latex")),
    ("### Generated training code", ("python",)),
]

SCI = re.compile(r"\d\.\d+e[+-]\d+")


def section(heading: str) -> str:
    """The README's text from the heading to the next heading (of any level), code blocks skipped."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n" + heading + "\n") + 1
    pos, fenced = start + len(heading), False
    for line in text[pos:].split("\n")[1:]:
        pos = text.index("\n", pos) + 1
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced and re.match(r"#{1,6} ", line):
            return text[start:pos]
    return text[start:]


def blocks(text: str, kind: str) -> list:
    return re.findall(r"```" + kind + r"\n(.*?)```", text, re.S)


def matches(quoted: str, actual: str) -> bool:
    """Whether actual reads as quoted: '...' any text, a line '...' any lines, numbers like 2.42e-10 any."""
    pattern = []
    for k, line in enumerate(quoted.strip("\n").split("\n")):
        if line.strip() == "...":
            pattern.append(r"(?:.*\n)*?" if k else r"(?:.*\n)*?")
            continue
        parts = [re.escape(p) for p in SCI.sub("\0", line.rstrip()).split("...")]
        pattern.append(".*?".join(parts).replace("\\\0", "\0").replace("\0", r"\d\.\d+e[+-]\d+") + r"[ \t]*\n")
    return re.fullmatch("".join(pattern), actual.strip("\n") + "\n") is not None


# -- console blocks ------------------------------------------------------------------------------
def commands(block: str) -> list:
    """(command line, quoted output) for each ``$ `` command of a console block."""
    out, lines = [], block.split("\n")
    k = 0
    while k < len(lines):
        if not lines[k].startswith("$ "):
            k += 1
            continue
        cmd = lines[k][2:]
        while cmd.rstrip().endswith("\\"):
            k += 1
            cmd = cmd.rstrip()[:-1] + " " + lines[k].strip()
        k += 1
        start = k
        while k < len(lines) and not lines[k].startswith("$ "):
            k += 1
        out.append((cmd.split("  #")[0].strip(), "\n".join(lines[start:k]).strip("\n")))
    return out


def console_cases() -> list:
    return [(cmd, quoted) for head, kinds in SECTIONS if "console" in kinds
            for b in blocks(section(head), "console") for cmd, quoted in commands(b)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")  # one folder: a later command reads what an earlier wrote


@pytest.mark.parametrize("cmd,quoted", console_cases(), ids=lambda v: v[:60] if isinstance(v, str) else None)
def test_console_block(cmd, quoted, workdir):
    argv = shlex.split(cmd)
    assert argv[0] == "jacobi", cmd
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    r = subprocess.run([sys.executable, "-m", "jacobi", *argv[1:]], cwd=workdir, capture_output=True, text=True,
                       env=env, timeout=300)
    actual = r.stdout + r.stderr
    assert matches(quoted, actual), f"$ {cmd}\nthe README quotes:\n{quoted}\nit prints:\n{actual}"


# -- python blocks -------------------------------------------------------------------------------
def statements(block: str) -> list:
    """(source, whether it is an expression, quoted text or None, whether it prints) per top-level statement.

    An expression's value is quoted by its trailing comment, or, where that comment ends with ':', by the
    comment lines that follow it; print(...)'s output by the comment lines that follow it."""
    lines = block.split("\n")
    tree = ast.parse(block)
    out = []
    for k, node in enumerate(tree.body):
        end = node.end_lineno
        nxt = tree.body[k + 1].lineno - 1 if k + 1 < len(tree.body) else len(lines)
        src = "\n".join(lines[node.lineno - 1:end])
        trailing = _comment(lines[end - 1], node.end_col_offset)
        follow = []
        for ln in lines[end:nxt]:
            if not ln.strip().startswith("#"):
                break
            follow.append(ln.strip()[2:] if ln.strip().startswith("# ") else ln.strip()[1:])
        is_expr = isinstance(node, ast.Expr)
        is_print = is_expr and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) == "print"
        quoted = None
        if is_expr and (is_print or (trailing or "").endswith(":")):
            quoted = "\n".join(follow) or None
        elif is_expr and trailing:
            quoted = re.split(r"\s{3,}\(", trailing)[0].strip()
        out.append((src, is_expr, quoted, is_print))
    return out


def _comment(line: str, col: int) -> str | None:
    rest = line[col:]
    return rest.split("#", 1)[1].strip() if "#" in rest else None


def test_python_blocks(tmp_path, monkeypatch):
    """The sections' python blocks, in the README's order.  The API tour's blocks run in one namespace;
    each later section starts from what the tour's first block made (jc, W, x, b, y, C), as a reader
    who has run it does."""
    monkeypatch.chdir(tmp_path)  # a block may write files (fn.write)
    base: dict = {}
    checked = 0
    for head, kinds in SECTIONS:
        if "python" not in kinds:
            continue
        code = blocks(section(head), "python")
        assert code, head
        ns = base if not base else dict(base)
        for k, block in enumerate(code):
            for src, is_expr, quoted, is_print in statements(block):
                checked += _run(head, ns, src, is_expr, quoted, is_print)
            if head == "## API tour" and k == 0:
                base = dict(ns)
    assert checked >= 15  # the quotes were found


def _run(head, ns, src, is_expr, quoted, is_print) -> bool:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if is_expr and not is_print:
            value = eval(compile(src, f"README.md ({head})", "eval"), ns)  # noqa: S307 - our README
        else:
            exec(compile(src, f"README.md ({head})", "exec"), ns)  # noqa: S102 - our README
            value = None
    if quoted is None or (value is None and not is_print):  # a call that returns nothing shows nothing
        return False
    shown = [out.getvalue()] if is_print else [repr(value), str(value)]  # as a notebook shows it, or str
    assert any(matches(quoted, a) for a in shown), \
        f"{head}: {src}\nthe README quotes:\n{quoted}\nit gives:\n{shown[0]}"
    return True


def test_quoted_latex_lines_are_what_to_latex_gives():
    """The lines quoted under "The last lines of d.to_latex()" are the last lines of that derivation's LaTeX."""
    text = section("### Derivations as LaTeX")
    ns: dict = {}
    exec(blocks(section("## API tour"), "python")[0].split("\nd = jc.derive")[0], ns)  # noqa: S102 - W, x, b, y, C
    exec("d = jc.derive(C, W, name='C')", ns)  # noqa: S102
    quoted = blocks(text, "latex")[0].strip("\n").split("\n")
    assert len(quoted) >= 2
    actual = ns["d"].to_latex().strip("\n").split("\n")
    assert quoted == actual[-len(quoted):]


def test_the_matcher_can_fail():
    assert matches("a ... c", "a b c") and not matches("a ... c", "a b d")
    assert matches("x\n...\nz", "x\ny\ny\nz") and not matches("x\n...\nz", "x\ny")
    assert matches("error 2.42e-10", "error 8.78e-11") and not matches("error 2.42e-10", "error 0.5")
    assert not matches("BP1: delta2 = a2 - y", "BP1: delta2 = (a2 - y) * sigmoid'(z2)")
