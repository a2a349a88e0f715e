"""`make demo`: training with the generated gradient, the files it writes, its messages."""
import sys

import numpy as np
import pytest

from jacobi import demo
from jacobi.core.shapes import JacobiError
from jacobi.nn.train import fit, forward_function, load_gradient, sgd
from jacobi.render import pdflatex

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def net():
    return demo.network()


def test_training_on_a_few_hundred_digits_beats_chance(net):
    train, test = demo.digits(seed=1, images=400)
    assert len(train[0]) + len(test[0]) == 400
    _, history = fit(net.gradient_function(), forward_function(net), net.init_params(1), train, test,
                     lr=demo.LR, batch_size=demo.BATCH, epochs=6, seed=1, report=None)
    assert [h.epoch for h in history] == list(range(1, 7))
    assert history[-1].cost < 0.5 * history[0].cost
    assert history[-1].test_acc > 0.6  # chance is 0.1


def test_forward_pass_agrees_with_the_generated_cost(net):
    rng = np.random.default_rng(0)
    params = [(W, rng.normal(size=b.shape)) for W, b in net.init_params(3)]
    X = rng.uniform(size=(7, 64))
    Y = np.eye(10)[rng.integers(0, 10, size=7)]
    a = forward_function(net)(params, X)
    assert a.shape == (7, 10)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    cost, _ = net.gradient_function()(params, X, Y)
    np.testing.assert_allclose(-np.mean(np.sum(Y * np.log(a), axis=1)), cost, rtol=1e-10)


def test_sgd_visits_every_example_once_per_epoch_in_even_batches():
    seen = []

    def gradient(params, X, Y):
        seen.append(X[:, 0].copy())
        return 0.0, [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]

    X = np.arange(23.0).reshape(-1, 1)
    params = [(np.ones((1, 1)), np.zeros(1))]
    epochs = list(sgd(gradient, params, X, X, lr=0.1, batch_size=5, epochs=2))
    assert [e for e, _ in epochs] == [1, 2]
    assert sorted(len(b) for b in seen) == [5, 5, 6, 6, 6, 6, 6, 6]  # 23 // 5 = 4 batches an epoch, none short
    for epoch in (seen[:4], seen[4:]):
        assert sorted(np.concatenate(epoch)) == list(X[:, 0])


def test_load_gradient_names_a_missing_function(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("x = 1\n")
    with pytest.raises(JacobiError, match="no function gradient"):
        load_gradient(path)


@pytest.mark.parametrize("pdf", ["real", "absent", "broken"])
def test_main_writes_every_file(tmp_path, capsys, monkeypatch, pdf):
    if pdf == "absent":
        monkeypatch.setattr(demo, "compile_pdf", lambda path, timeout=None: None)
    elif pdf == "broken":
        def broken(path, timeout=None):
            raise JacobiError("pdflatex could not compile backprop.tex: ! Undefined control sequence.")
        monkeypatch.setattr(demo, "compile_pdf", broken)
    out = tmp_path / "demo"
    assert demo.main(["--quick", "--epochs", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for heading in ("== 1.", "BP1: delta2 = a2 - y", "== 4.", "gradient check passed", "epoch   2", "== 7. Files"):
        assert heading in text
    names = {"backprop.tex", "network.svg", "digits_gradient.py", "learning_curve.png"}
    if pdf == "real" and pdflatex() is not None:
        names.add("backprop.pdf")
    elif pdf == "absent" or pdf == "real":
        assert "pdflatex not found; skipped the PDF" in text
    else:
        assert "PDF not built: pdflatex could not compile" in text
    assert {p.name for p in out.iterdir()} == names
    for name in names:
        assert str(out / name) in text.split("== 7. Files")[1]
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert "import numpy as np" in (out / "digits_gradient.py").read_text()


def test_missing_examples_extra_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    out = tmp_path / "demo"
    assert demo.main(["--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "scikit-learn" in lines[0] and "pip install scikit-learn matplotlib" in lines[0]
    assert not out.exists()
