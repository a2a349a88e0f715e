"""The jacobi command, run as users run it: the installed console script in a
subprocess (or ``python -m jacobi`` where no script is installed).

Golden outputs live in tests/golden/cli_*.txt; JACOBI_UPDATE_GOLDEN=1 rewrites them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import jacobi as jc
from jacobi import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def _command() -> list[str]:
    beside = Path(sys.executable).parent / "jacobi"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("jacobi", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "jacobi"]


COMMAND = _command()


def jacobi(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "JACOBI_DEBUG"}
    # the jacobi of this tree, whatever the console script's environment was installed from
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    full.update(env or {})
    return subprocess.run(COMMAND + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=full,
                          timeout=300)


def jacobi_many(argss, cwd=None) -> list:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda a: jacobi(*a, cwd=cwd), argss))


def _golden(name: str, text: str):
    path = GOLDEN / name
    if os.environ.get("JACOBI_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


# ---------------------------------------------------------------------------
# Help


def test_python_m_jacobi_and_every_help_shows_examples():
    top = subprocess.run([sys.executable, "-m", "jacobi", "--help"], capture_output=True, text=True, timeout=300)
    assert top.returncode == 0, top.stderr
    for word in ("diff", "backprop", "check", "examples:"):
        assert word in top.stdout
    for cmd, r in zip(("diff", "backprop", "check"), jacobi_many([(c, "--help") for c in ("diff", "backprop",
                                                                                             "check")])):
        assert r.returncode == 0, r.stderr
        assert "examples:" in r.stdout and f"jacobi {cmd} " in r.stdout


# ---------------------------------------------------------------------------
# Golden outputs

DIFF = ("diff", "sum((sigmoid(W@x + b) - y)**2)/2", "--wrt", "W,b")
BACKPROP = ("backprop", "--layers", "4,3,2", "--activation", "sigmoid", "--output", "softmax", "--cost",
            "cross_entropy")


def test_diff_golden_and_deterministic():
    runs = [jacobi(*DIFF, env={"PYTHONHASHSEED": seed}) for seed in ("0", "4242")]
    for r in runs:
        assert r.returncode == 0 and r.stderr == "", r.stderr
    assert runs[0].stdout == runs[1].stdout
    _golden("cli_diff.txt", runs[0].stdout)
    lines = runs[0].stdout.splitlines()
    assert lines[0] == "f = sum((sigmoid(W @ x + b) - y) ** 2) / 2"
    assert lines[1] == "W: m x n, x: n, b: m, y: m"
    assert lines[2].startswith("df/dW = ") and lines[3].startswith("df/db = ")


def test_backprop_golden():
    r = jacobi(*BACKPROP)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    _golden("cli_backprop.txt", r.stdout)
    assert "BP1: delta2 = a2 - y" in r.stdout


def test_diff_names_the_function_and_shows_steps_and_formats():
    text, steps, latex, md, minus = jacobi_many([
        ("diff", "C = sum((W @ x + b - y) ** 2) / 2", "--wrt", "W"),
        ("diff", "C = sum((W @ x + b - y) ** 2) / 2", "--wrt", "W", "--steps"),
        ("diff", "sum(exp(W @ x))", "--wrt", "W", "--format", "latex"),
        ("diff", "sum(exp(W @ x))", "--wrt", "W", "--format", "markdown"),
        ("diff", "-sum(x)", "--wrt", "x"),  # an expression is not an option, though it starts with '-'
    ])
    for r in (text, steps, latex, md, minus):
        assert r.returncode == 0 and r.stderr == "", r.stderr
    assert minus.stdout.startswith("f = -sum(x)\n")
    assert text.stdout.splitlines()[-1] == "dC/dW = (W @ x + b - y) @ x.T"
    assert steps.stdout.splitlines()[-1] == "dC/dW = (W @ x + b - y) @ x.T"
    assert len(steps.stdout.splitlines()) > 8 and "u1" in steps.stdout
    assert latex.stdout.startswith("\\begin{align*}") and "\\frac{\\partial f}{\\partial W}" in latex.stdout
    assert md.stdout.startswith("$$f = ") and "\\frac{\\partial f}{\\partial W} = " in md.stdout


def test_diff_python_format_runs_with_numpy_alone():
    r = jacobi("diff", "sum((sigmoid(W @ x + b) - y) ** 2) / 2", "--wrt", "W,b", "--format", "python")
    assert r.returncode == 0, r.stderr
    assert "jacobi" not in r.stdout.split('"""')[-1]  # only the docstring mentions jacobi
    ns: dict = {}
    exec(compile(r.stdout, "<printed>", "exec"), ns)  # noqa: S102 - the code the command printed, in a test
    W, x, b, y = jc.matrix("W", "m", "n"), jc.vector("x", "n"), jc.vector("b", "m"), jc.vector("y", "m")
    C = jc.sum((jc.sigmoid(W @ x + b) - y) ** 2) / 2
    rng = np.random.default_rng(0)
    vals = [rng.normal(size=(3, 4)), rng.normal(size=(4, 1)), rng.normal(size=(3, 1)), rng.normal(size=(3, 1))]
    got = ns["f"](*vals)
    want = jc.lambdify([W, x, b, y], jc.derive(C, [W, b]).result)(*vals)
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=1e-12)


# ---------------------------------------------------------------------------
# Bad input: exit status 2, one line (plus the expression and a caret for a parse error), no traceback

BAD = {
    "syntax": (("diff", "x + * y", "--wrt", "x"), "column 5: expected an operand", True),
    "unknown name (strict)": (("diff", "x + z", "--wrt", "x", "--strict", "--shape", "x=3"), "unknown name 'z'",
                              True),
    "unknown --wrt": (("diff", "x + y", "--wrt", "V"), "--wrt V: the expression has no variable V", False),
    "shape mismatch": (("diff", "x + y", "--wrt", "x", "--shape", "x=3", "--shape", "y=4"),
                       "column 3: cannot add x (3x1) and y (4x1)", True),
    "inferred mismatch": (("diff", "sum(W @ x * x.T)", "--wrt", "W"), "cannot multiply element-wise", True),
    "unknown function": (("diff", "sigmod(W @ x)", "--wrt", "W"), "unknown function 'sigmod' (did you mean sigmoid",
                         True),
    "unterminated call": (("diff", "sum(sigmoid(W @ x)", "--wrt", "W"), "expected ')' to close the call of sum",
                          True),
    "bad shape spec": (("diff", "x", "--wrt", "x", "--shape", "x=2y3"), "is not a shape", False),
    "undeclared --shape": (("diff", "x", "--wrt", "x", "--shape", "q=3"), "no variable q", False),
    "no derivative rule": (("diff", "sum(diag(x) @ y)", "--wrt", "x"), "no derivative rule for diag", False),
    "layers empty": (("backprop", "--layers", "64,,10"), "--layers '64,,10': size 2 is empty", False),
    "layers expression": (("backprop", "--layers", "64,x-1"), "'x-1' is not a layer size", False),
    "layers one": (("backprop", "--layers", "5"), "at least two sizes", False),
    "layers zero": (("backprop", "--layers", "3,0"), "at least one neuron", False),
    "python needs numbers": (("backprop", "--layers", "4,n1,2", "--python", "never.py"),
                             "--python needs a number for every layer size; n1 is a name", False),
    "unknown cost": (("backprop", "--layers", "4,3", "--cost", "hinge"), "unknown cost 'hinge'", False),
    "unknown activation": (("backprop", "--layers", "4,3,2", "--activation", "swish"), "unknown activation",
                           False),
    "check a vector": (("check", "W @ x"), "must be a scalar", False),
    "check nothing": (("check",), "check needs an expression or --module FILE", False),
    "check missing module": (("check", "--module", "missing_module.py"), "no such file", False),
    "check unknown size": (("check", "sum(x)", "--size", "q=3"), "no size q", False),
    "unwritable": (("backprop", "--layers", "2,2", "--latex", "no/such/dir/out.tex"), "No such file or directory",
                   False),
    "injection": (("diff", "__import__('os').system('touch MARKER')", "--wrt", "x"),
                  "column 1: unexpected character '_'", True),
    "injection 2": (("check", "exec(\"open('MARKER', 'w')\")"), "unexpected character '\"'", True),
    "injection 3": (("diff", "x; open('MARKER', 'w')", "--wrt", "x"), "unexpected character ';'", True),
    "injection --shape": (("diff", "x", "--wrt", "x", "--shape", "x=__import__('os')"), "is not a shape", False),
    "injection --activation": (("backprop", "--layers", "2,2", "--activation", "__import__('os')"),
                               "is not a name", False),
}


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("bad")
    names = list(BAD)
    runs = jacobi_many([BAD[k][0] for k in names], cwd=cwd)
    return cwd, dict(zip(names, runs))


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_clear_line(case, bad_runs):
    cwd, runs = bad_runs
    args, fragment, parse_error = BAD[case]
    r = runs[case]
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("jacobi: error: "), r.stderr
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    lines = r.stderr.splitlines()
    assert fragment in lines[0], lines[0]
    if parse_error:
        assert len(lines) == 3, lines
        expr = next(a for a in args[1:] if not a.startswith("--"))
        column = int(lines[0].split("column ")[1].split(":")[0])
        assert lines[1] == "  " + expr and lines[2] == "  " + " " * (column - 1) + "^"
        assert r.stdout == ""
    else:
        assert len(lines) == 1, lines
    assert not (cwd / "MARKER").exists() and not (cwd / "never.py").exists()


def test_usage_errors_exit_2():
    missing, unknown = jacobi_many([("diff", "x"), ("frobnicate",)])
    for r in (missing, unknown):
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert r.stderr.startswith("jacobi: error: ") and len(r.stderr.splitlines()) == 1, r.stderr
    assert "--wrt" in missing.stderr and "invalid choice: 'frobnicate'" in unknown.stderr


def test_internal_errors_are_one_line_unless_debugging(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(cli, "cmd_diff", broken)
    monkeypatch.delenv("JACOBI_DEBUG", raising=False)
    assert cli.main(["diff", "x", "--wrt", "x"]) == 3
    err = capsys.readouterr().err
    assert err == "jacobi: internal error: RuntimeError: a bug over two lines (set JACOBI_DEBUG=1 for the traceback)\n"
    monkeypatch.setenv("JACOBI_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["diff", "x", "--wrt", "x"])
    assert cli.main(["--version"]) == 0


# ---------------------------------------------------------------------------
# Files and checks


def test_backprop_writes_files_and_the_module_checks(tmp_path):
    r = jacobi("backprop", "--layers", "3,4,2", "--activation", "tanh", "--output", "softmax", "--cost",
               "cross_entropy", "--latex", "bp.tex", "--markdown", "bp.md", "--python", "grad.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("bp.tex", "bp.md", "grad.py"):
        assert f"wrote {name} (" in r.stdout
    tex = (tmp_path / "bp.tex").read_text()
    assert "\\documentclass" in tex and "\\begin{document}" in tex and "\\end{document}" in tex
    assert "Backpropagation for the network [3, 4, 2]" in tex
    assert "$$" in (tmp_path / "bp.md").read_text()
    # the module imports with numpy alone and returns gradients of the parameters' shapes
    probe = (
        "import sys, importlib.util, numpy as np\n"
        "sys.modules['jacobi'] = None\n"
        "spec = importlib.util.spec_from_file_location('grad', 'grad.py')\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "n = mod.SIZES; rng = np.random.default_rng(0)\n"
        "params = [(rng.normal(size=(n[l], n[l - 1])), rng.normal(size=n[l])) for l in range(1, len(n))]\n"
        "X = rng.normal(size=(5, n[0])); Y = np.eye(n[-1])[rng.integers(0, n[-1], 5)]\n"
        "cost, grads = mod.gradient(params, X, Y)\n"
        "assert np.isfinite(cost)\n"
        "assert [(g.shape, d.shape) for g, d in grads] == [(W.shape, b.shape) for W, b in params]\n"
        "print(mod.SIZES)\n"
    )
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert p.returncode == 0 and p.stdout == "[3, 4, 2]\n", p.stderr
    ok, strict = jacobi_many([("check", "--module", "grad.py"), ("check", "--module", "grad.py", "--tol", "1e-30")],
                             cwd=tmp_path)
    assert ok.returncode == 0 and "gradient check passed" in ok.stdout, ok.stderr
    assert "network [3, 4, 2]" in ok.stdout and "W1:" in ok.stdout and "b2:" in ok.stdout
    assert strict.returncode == 1 and "gradient check FAILED" in strict.stdout


def test_check_an_expression():
    ok, fail, default = jacobi_many([
        ("check", "sum((sigmoid(W @ x + b) - y) ** 2) / 2", "--wrt", "W,b", "--size", "n=2"),
        ("check", "sum((sigmoid(W @ x + b) - y) ** 2) / 2", "--tol", "1e-30"),
        ("check", "-sum(t * log(softmax(z)))", "--distribution", "t"),
    ])
    assert ok.returncode == 0, ok.stderr
    assert "sizes: m=3, n=2" in ok.stdout and "gradient check passed (relative error W: " in ok.stdout
    assert "b: " in ok.stdout and "x: " not in ok.stdout.splitlines()[-1]
    assert fail.returncode == 1 and "FAILED" in fail.stdout
    assert "W: " in fail.stdout.splitlines()[-1] and "y: " in fail.stdout.splitlines()[-1]
    assert default.returncode == 0 and "passed" in default.stdout, default.stderr
