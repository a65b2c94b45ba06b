"""``adamviz simulate``: CSV out at full precision, files in, one-line errors with exit status 2."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from adamviz.app.cli import main
from adamviz.sim import COLUMNS, simulate, stream


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def parse(text: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array(rows[1:], dtype=float)


def test_stream_to_csv_equals_simulate_bit_for_bit(capsys):
    status, out, err = run(
        [
            "simulate",
            "--stream",
            "reversal",
            "--seed",
            "5",
            "--iterations",
            "120",
            "--lr",
            "0.05",
            "--beta1",
            "0.8",
            "--eps",
            "1e-6",
        ],
        capsys,
    )
    assert status == 0 and err == ""
    header, table = parse(out)
    assert header == ["t", *COLUMNS]
    np.testing.assert_array_equal(table[:, 0], np.arange(1, 121))
    expected = simulate(stream("reversal", 120, 5), lr=0.05, beta1=0.8, eps=1e-6)
    for k, name in enumerate(COLUMNS, start=1):
        np.testing.assert_array_equal(table[:, k], getattr(expected, name), err_msg=name)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "amsgrad", "adamw"])
def test_optimizer_flags_reach_simulate(tmp_path, capsys, optimizer):
    out_file = tmp_path / "out.csv"
    status, out, _ = run(
        [
            "simulate",
            "--stream",
            "noisy",
            "--optimizer",
            optimizer,
            "--weight-decay",
            "0.1",
            "--momentum",
            "0.5",
            "--theta0",
            "1",
            "--no-bias-correction",
            "--out",
            str(out_file),
        ],
        capsys,
    )
    assert status == 0 and out == ""
    _, table = parse(out_file.read_text())
    expected = simulate(
        stream("noisy", 200, 0),
        optimizer=optimizer,
        weight_decay=0.1,
        momentum=0.5,
        theta0=1.0,
        bias_correction=False,
    )
    np.testing.assert_array_equal(table[:, -1], expected.theta)


def test_csv_with_and_without_header_and_npy(tmp_path, capsys):
    g = stream("consistent", 50, 2)
    (tmp_path / "plain.csv").write_text("\n".join(map(repr, g.tolist())) + "\n")
    (tmp_path / "header.csv").write_text("grad\n" + "\n".join(map(repr, g.tolist())) + "\n\n")
    np.save(tmp_path / "g.npy", g)
    np.save(tmp_path / "ints.npy", np.arange(5))
    outputs = [
        run(["simulate", "--gradients", str(tmp_path / name)], capsys)[1]
        for name in ("plain.csv", "header.csv", "g.npy")
    ]
    assert outputs[0] == outputs[1] == outputs[2]
    np.testing.assert_array_equal(parse(outputs[0])[1][:, -1], simulate(g).theta)
    status, out, _ = run(["simulate", "--gradients", str(tmp_path / "g.npy"), "--iterations", "10"], capsys)
    assert status == 0 and len(parse(out)[1]) == 10
    assert run(["simulate", "--gradients", str(tmp_path / "ints.npy")], capsys)[0] == 0


class Exploit:
    def __reduce__(self):
        return (print, ("UNPICKLED",))


def bad_inputs(tmp_path):
    (tmp_path / "two.csv").write_text("1.0,2.0\n3.0,4.0\n")
    (tmp_path / "word.csv").write_text("g\n1.0\nabc\n")
    (tmp_path / "nan.csv").write_text("1.0\nnan\n")
    (tmp_path / "empty.csv").write_text("g\n")
    (tmp_path / "garbage.npy").write_bytes(b"not an npy file at all")
    np.save(tmp_path / "matrix.npy", np.zeros((3, 2)))
    np.save(tmp_path / "strings.npy", np.array(["a", "b"]))
    with open(tmp_path / "pickled.npy", "wb") as f:
        np.lib.format.write_array(f, np.array([Exploit()], dtype=object), allow_pickle=True)
    (tmp_path / "g.txt").write_text("1\n")
    return [
        (["simulate", "--stream", "noisy", "--beta1", "1.5"], "beta1 must be a number in [0, 1); got 1.5"),
        (["simulate", "--stream", "noisy", "--eps", "-1"], "eps must be a number > 0; got -1.0"),
        (["simulate", "--stream", "noisy", "--lr", "0"], "lr must be a number > 0; got 0.0"),
        (
            ["simulate", "--stream", "noisy", "--iterations", "0"],
            "iterations must be an integer in [1, 1000000]; got 0",
        ),
        (["simulate", "--stream", "noisy", "--iterations", "abc"], "invalid int value: 'abc'"),
        (
            ["simulate", "--stream", "noisy", "--seed", "-3"],
            "seed must be an integer in [0, 4294967295]; got -3",
        ),
        (["simulate", "--stream", "wavy"], "invalid choice: 'wavy'"),
        (["simulate"], "one of the arguments --stream --gradients is required"),
        (["simulate", "--gradients", str(tmp_path / "two.csv")], "two.csv:1: expected one column"),
        (["simulate", "--gradients", str(tmp_path / "word.csv")], "word.csv:3: not a number: 'abc'"),
        (["simulate", "--gradients", str(tmp_path / "nan.csv")], "nan.csv:2: gradients must be finite"),
        (["simulate", "--gradients", str(tmp_path / "empty.csv")], "empty.csv: no gradients found"),
        (
            ["simulate", "--gradients", str(tmp_path / "garbage.npy")],
            "garbage.npy: not a .npy file",
        ),
        (
            ["simulate", "--gradients", str(tmp_path / "matrix.npy")],
            "gradients must be 1-D; got shape (3, 2)",
        ),
        (["simulate", "--gradients", str(tmp_path / "strings.npy")], "gradients must be numeric"),
        (
            ["simulate", "--gradients", str(tmp_path / "pickled.npy")],
            "pickled.npy: not a readable .npy array",
        ),
        (["simulate", "--gradients", str(tmp_path / "missing.csv")], "missing.csv: no such file"),
        (["simulate", "--gradients", str(tmp_path / "g.txt")], "must end in .csv or .npy"),
        (["simulate", "--gradients", str(tmp_path / "nan.csv"), "--iterations", "9"], "nan.csv:2"),
        (["simulate", "--stream", "noisy", "--out", str(tmp_path / "no" / "dir.csv")], "No such file"),
    ]


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    for argv, expected in bad_inputs(tmp_path):
        status, out, err = run(argv, capsys)
        assert status == 2, argv
        assert out == ""
        assert err.count("\n") == 1 and expected in err, (argv, err)
        assert "Traceback" not in err and err.startswith("adamviz")


def test_console_script_exit_status_and_no_panel_import(tmp_path):
    """The installed command: status 2, no traceback; and `simulate` never imports Panel or Bokeh."""
    done = subprocess.run(
        ["adamviz", "simulate", "--stream", "noisy", "--beta2", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        done.returncode == 2 and done.stderr == "adamviz: error: beta2 must be a number in [0, 1); got 2.0\n"
    )
    code = (
        "import sys; from adamviz.app.cli import main; main(['simulate', '--stream', 'noisy', '--out', "
        f"{str(tmp_path / 'o.csv')!r}]); print(sorted(m for m in ('panel', 'bokeh') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_pickle_payload_is_never_executed(tmp_path, capfd):
    bad_inputs(tmp_path)
    assert main(["simulate", "--gradients", str(tmp_path / "pickled.npy")]) == 2
    assert "UNPICKLED" not in capfd.readouterr().out


def test_a_closed_pipe_ends_quietly():
    """`adamviz simulate ... | head -1`: the reader stops early; no message, no traceback."""
    done = subprocess.run(
        [
            "bash",
            "-c",
            "adamviz simulate --stream noisy --iterations 200000 | head -1; exit ${PIPESTATUS[0]}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout == "t,g,m,v,m_hat,v_hat,sqrt_v_hat,scale,step,theta\n"
    assert done.stderr == ""
    assert done.returncode in (0, 141)


@pytest.mark.parametrize(
    "command", [["export", "{out}"], ["simulate", "--stream", "noisy", "--out", "{out}"]]
)
def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch, capsys, command):
    """A full disk in the middle of writing: exit 2 with the reason; the file that stood there is
    untouched, and no temporary file is left behind."""
    import errno

    from adamviz.record import files

    out = tmp_path / "result.out"
    out.write_text("the good old file")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    assert main([part.format(out=out) for part in command]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text() == "the good old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.out"]


def test_written_files_get_the_usual_permissions(tmp_path):
    out = tmp_path / "o.csv"
    assert main(["simulate", "--stream", "noisy", "--iterations", "5", "--out", str(out)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert out.read_text().startswith("t,g,m,")
