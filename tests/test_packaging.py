"""The package as it ships: pyproject's metadata (distribution name, SPDX license, classifiers, URLs,
py.typed), the install commands that jacobi's messages suggest, and an sdist that carries everything
the test suite imports or reads (so that `pytest` passes from an unpacked sdist; .ci/run does that)."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import jacobi
from jacobi import demo
from jacobi.codegen.backends import BACKENDS

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
NAME = PROJECT["name"]
EXTRAS = set(PROJECT["optional-dependencies"])

#: what a checkout holds that is no source: never in the sdist, never read by the suite
NOT_SOURCE_DIRS = {".git", ".venv", "build", "dist", "out", "__pycache__", ".pytest_cache", ".hypothesis",
                   ".ruff_cache"}
NOT_SOURCE_SUFFIXES = {".pyc", ".pyo", ".pdf", ".aux", ".log"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- metadata ------------------------------------------------------------------------------------

def test_the_distribution_is_not_named_jacobi_but_imports_as_jacobi():
    assert _canonical(NAME) != "jacobi", "`jacobi` on PyPI is another project"
    assert NAME == "jacobi-calculus"
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["jacobi*"]
    assert PROJECT["scripts"]["jacobi"] == "jacobi.cli:main"


def test_the_license_is_an_spdx_expression_with_its_file():
    assert PROJECT["license"] == "MIT"  # PEP 639: a string, not a table
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the jacobi authors" in text
    # setuptools refuses "License ::" classifiers beside an expression, and PEP 639 needs setuptools 77
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d|\d{3,})(\.\d+)*", r)
               for r in PYPROJECT["build-system"]["requires"])


def test_classifiers_name_the_python_versions_and_the_topics():
    classifiers = PROJECT["classifiers"]
    lowest = re.fullmatch(r">=3\.(\d+)", PROJECT["requires-python"]).group(1)
    assert f"Programming Language :: Python :: 3.{lowest}" in classifiers
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert {"Topic :: Scientific/Engineering :: Mathematics", "Topic :: Education",
            "Intended Audience :: Education", "Typing :: Typed"} <= set(classifiers)
    assert len(set(classifiers)) == len(classifiers)


def test_urls_are_given():
    urls = PROJECT["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())


def test_py_typed_is_package_data():
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["jacobi"]
    assert (Path(jacobi.__file__).parent / "py.typed").is_file()


# -- the install commands jacobi suggests ----------------------------------------------------------

def _suggested(text: str) -> list[tuple[str, str | None]]:
    """(distribution, extra) of every `pip install 'NAME[extra]'` in ``text``."""
    return [(m[1], m[2]) for m in re.finditer(r"pip install '([A-Za-z0-9_.-]+)\[([a-z{}.]+)\]'", text)]


def test_install_messages_name_this_distribution_and_its_extras():
    sources = sorted((ROOT / "jacobi").rglob("*.py")) + [ROOT / "README.md"]
    found = [(p, dist, extra) for p in sources for dist, extra in _suggested(p.read_text(encoding="utf-8"))]
    assert found, "no install command found: the pattern no longer reads the messages"
    for path, dist, extra in found:
        if dist.startswith("."):  # the README's install from a checkout
            continue
        assert dist == NAME, f"{path.name} suggests installing {dist!r}, the distribution is {NAME!r}"
        assert extra in EXTRAS or "{" in extra, f"{path.name} suggests the extra {extra!r}, not in {EXTRAS}"
    # commands that work outside a checkout: no editable install of the current folder
    for path in sources[:-1]:
        assert not re.search(r"pip install -e|pip install '?\.\[", path.read_text(encoding="utf-8")), path


def test_every_backend_extra_exists_and_its_message_names_it():
    extras = {b.name: b.extra for b in BACKENDS.values() if b.extra}
    assert extras, "the jax and torch backends name their extras"
    for name, extra in extras.items():
        assert extra in EXTRAS, f"backend {name} names the extra {extra!r}, not in pyproject"
        assert f"pip install '{NAME}[{extra}]'" in str(BACKENDS[name]._missing())


def test_the_demo_suggests_what_it_needs_and_the_extra():
    assert all(package in demo.INSTALL for package in demo.EXAMPLES.values())
    assert f"pip install '{NAME}[examples]'" in demo.INSTALL
    assert set(demo.EXAMPLES.values()) <= {re.match(r"[A-Za-z0-9_.-]+", r)[0]
                                           for r in PROJECT["optional-dependencies"]["examples"]}


# -- the sdist -------------------------------------------------------------------------------------

def _source_files(folder: Path) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in folder.rglob("*")
            if p.is_file() and p.suffix not in NOT_SOURCE_SUFFIXES
            and not NOT_SOURCE_DIRS & set(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)}


def suite_reads() -> set[str]:
    """The files the suite imports or reads: all of tests/, and every top-level file or folder of the
    project that a test names in a string ("README.md", "derivations", "bench", ...)."""
    named = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
    files = _source_files(ROOT / "tests")
    for entry in ROOT.iterdir():
        if entry.name in named and entry.name not in NOT_SOURCE_DIRS:
            files |= _source_files(entry) if entry.is_dir() else {entry.name}
    return files


def _build(kind: str, src: Path, out: Path) -> Path:
    code = f"from setuptools import build_meta; print(build_meta.build_{kind}({str(out)!r}))"
    r = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return out / r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sdist and the wheel, built from a copy of the project (never in the checkout: an old
    egg-info's SOURCES.txt would be read back into the new sdist's file list)."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("setuptools is not installed")
    if int(version.split(".")[0]) < 77:
        pytest.skip(f"setuptools {version} predates PEP 639 (pyproject asks for 77)")
    tmp = tmp_path_factory.mktemp("dist")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=lambda folder, names: [
        n for n in names if n in NOT_SOURCE_DIRS or n.endswith(".egg-info") or Path(n).suffix in {".pyc"}])
    return _build("sdist", src, tmp), _build("wheel", src, tmp)


def test_the_sdist_carries_everything_the_suite_reads(built):
    sdist, _ = built
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert {n.split("/")[0] for n in names} == {f"{_canonical(NAME).replace('-', '_')}-{PROJECT['version']}"}
    shipped = {n.split("/", 1)[1] for n in names if "/" in n}
    needed = suite_reads() | {"LICENSE", "README.md", "Makefile", "pyproject.toml", "jacobi/py.typed"}
    needed |= {p for p in _source_files(ROOT / "jacobi") if p.endswith(".py")}
    assert {"tests/conftest.py", "tests/oracles.py", "tests/registries.py", "README.md"} <= needed
    assert any(n.startswith("tests/golden/") for n in needed) and any(n.startswith("bench/") for n in needed)
    assert any(n.startswith("derivations/") and n.endswith(".tex") for n in needed)
    missing = sorted(needed - shipped)
    assert not missing, f"the sdist lacks {missing}: add them to MANIFEST.in"
    assert not [n for n in shipped if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_ships_py_typed_the_license_and_the_metadata(built):
    _, wheel = built
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{info}/METADATA").decode()
    assert "jacobi/py.typed" in names and f"{info}/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith("tests/")]
    assert f"\nName: {NAME}\n" in metadata and "\nLicense-Expression: MIT\n" in metadata
    assert "\nLicense-File: LICENSE\n" in metadata and "Classifier: Topic :: Education" in metadata
