"""adamviz.record: the recorder's numbers against torch's own optimizer state, the file read back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the test command installs torch (CPU build); see tests/run.sh

from adamviz.record import Recorder, TraceError, archive, load  # noqa: E402
from adamviz.record.device_percentiles import ABSOLUTE_ERROR, RELATIVE_ERROR  # noqa: E402
from adamviz.sim import simulate  # noqa: E402

from error_bounds import moving_average_rtol  # noqa: E402

STEPS = 25


def _train(make_optimizer, path, steps=STEPS, *, model_seed=0, **recorder):
    """A 5 → 4 → 2 model trained on fixed random data; returns (model, optimizer, what torch held at
    each step for every parameter: grad, exp_avg, exp_avg_sq (or max), param before and after)."""
    torch.manual_seed(model_seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    x, y = torch.randn(32, 5), torch.randn(32, 2)
    optimizer = make_optimizer(model)
    seen = []
    with Recorder(optimizer, path, **recorder) as recorder_:
        for _ in range(steps):
            loss = ((model(x) - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            before = [p.detach().clone().double() for p in model.parameters()]
            optimizer.step()
            state = []
            for p, b in zip(model.parameters(), before, strict=True):
                s = optimizer.state[p]
                v = s.get("max_exp_avg_sq", s.get("exp_avg_sq"))
                state.append(
                    {
                        "g": p.grad.detach().clone().double(),
                        "exp_avg": s["exp_avg"].clone().double() if "exp_avg" in s else None,
                        "exp_avg_sq": v.clone().double() if v is not None else None,
                        "step": b - p.detach().double(),
                        "t": int(s["step"]) if "step" in s else None,
                    }
                )
            seen.append(state)
    return model, recorder_, seen


OPTIMIZERS = {
    "adam": lambda m: torch.optim.Adam(m.named_parameters(), lr=0.05, betas=(0.8, 0.95)),
    "adamw": lambda m: torch.optim.AdamW(m.named_parameters(), lr=0.05, weight_decay=0.1),
    "amsgrad": lambda m: torch.optim.Adam(m.named_parameters(), lr=0.05, amsgrad=True, weight_decay=0.01),
}


@pytest.mark.parametrize("kind", OPTIMIZERS)
def test_moments_equal_torch_state(tmp_path, kind):
    _, _, seen = _train(OPTIMIZERS[kind], tmp_path / "run.npz", sample=3, seed=1)
    run = load(tmp_path / "run.npz")
    assert [g.name for g in run.groups] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert run.optimizer == kind
    beta1, beta2 = run.meta["betas"]
    for k, group in enumerate(run.groups):
        assert group.steps.tolist() == list(range(1, STEPS + 1))
        for j, c in enumerate(group.coordinates):
            held = {
                key: np.array([s[k][key].reshape(-1)[c.index].item() for s in seen])
                for key in ("g", "exp_avg", "exp_avg_sq", "step")
            }
            t = np.array([s[k]["t"] for s in seen], dtype=float)
            # the stored moments are torch's, bit for bit (the promise is 1e-12)
            exp_avg = run.arrays[f"g{k}_exp_avg"][:, j]
            assert np.max(np.abs(exp_avg - held["exp_avg"])) <= 1e-12
            assert np.max(np.abs(c.m_hat * (1 - beta1**t) - held["exp_avg"])) <= 1e-12
            assert np.max(np.abs(c.sqrt_v_hat**2 * (1 - beta2**t) - held["exp_avg_sq"])) <= 1e-12
            assert np.array_equal(c.g, held["g"])
            assert np.array_equal(c.step, held["step"])


def test_percentiles_are_of_r_over_the_whole_tensor(tmp_path):
    _, _, seen = _train(OPTIMIZERS["adam"], tmp_path / "run.npz")
    run = load(tmp_path / "run.npz")
    beta1, beta2 = run.meta["betas"]
    for k, group in enumerate(run.groups):
        for row, t in enumerate(group.steps.tolist()):
            s = seen[row][k]
            m_hat = s["exp_avg"].numpy().ravel() / (1 - beta1**t)
            sqrt_v_hat = np.sqrt(s["exp_avg_sq"].numpy().ravel()) / np.sqrt(1 - beta2**t)
            r = np.abs(m_hat) / (sqrt_v_hat + run.meta["eps"])
            expected = np.percentile(r, [10, 50, 90])
            # read off the on-device histogram: within its derived bound (device_percentiles)
            error = np.abs(group.percentiles[row] - expected)
            assert np.all(error <= RELATIVE_ERROR * expected + ABSOLUTE_ERROR)


def test_every_and_sample_and_seed(tmp_path):
    _, _, _ = _train(OPTIMIZERS["adam"], tmp_path / "a.npz", every=4, sample=2, seed=7)
    _, _, _ = _train(OPTIMIZERS["adam"], tmp_path / "b.npz", every=4, sample=2, seed=7)
    _, _, _ = _train(OPTIMIZERS["adam"], tmp_path / "c.npz", every=4, sample=2, seed=8)
    a, b, c = (load(tmp_path / f"{n}.npz") for n in "abc")
    assert a.groups[0].steps.tolist() == [1, 5, 9, 13, 17, 21, 25]
    assert [len(g.coordinates) for g in a.groups] == [2, 2, 2, 2]
    indices = lambda run: [[c.index for c in g.coordinates] for g in run.groups]  # noqa: E731
    assert indices(a) == indices(b)
    assert indices(a) != indices(c)
    assert all(0 <= i < 20 for i in indices(a)[0])


def test_names_without_named_parameters(tmp_path):
    def plain(model):
        return torch.optim.Adam(model.parameters(), lr=0.01)

    _train(plain, tmp_path / "anon.npz", steps=2)
    assert [g.name for g in load(tmp_path / "anon.npz").groups][:2] == ["group0.param0", "group0.param1"]
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters())
    with Recorder(optimizer, tmp_path / "named.npz", model=model, only=["bias"]):
        model(torch.ones(1, 3)).sum().backward()
        optimizer.step()
    assert [g.name for g in load(tmp_path / "named.npz").groups] == ["bias"]
    with pytest.raises(ValueError, match="only names tensors the optimizer does not hold"):
        Recorder(optimizer, tmp_path / "x.npz", model=model, only=["nope"])
    with pytest.raises(TypeError, match="Adamax, Adagrad; got SparseAdam"):
        Recorder(torch.optim.SparseAdam(model.parameters()), tmp_path / "x.npz")
    with pytest.raises(ValueError, match=r"every must be an integer in \[1, 2\*\*64\); got 0"):
        Recorder(optimizer, tmp_path / "x.npz", every=0)
    for timeout in (0, -1.0, float("nan"), float("inf"), "60"):
        with pytest.raises(
            ValueError, match=f"shard_timeout must be a number of seconds > 0; got {timeout!r}"
        ):
            Recorder(optimizer, tmp_path / "x.npz", shard_timeout=timeout)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_gets_adams_moments_from_the_recorder(tmp_path, momentum):
    def sgd(model):
        return torch.optim.SGD(model.named_parameters(), lr=0.1, momentum=momentum)

    _, _, seen = _train(sgd, tmp_path / "sgd.npz", steps=40)
    run = load(tmp_path / "sgd.npz")
    assert run.optimizer == ("momentum" if momentum else "sgd") and run.meta["moments"] == "recorder"
    for k, group in enumerate(run.groups):
        for c in group.coordinates:  # the step is what SGD moved the coordinate, as torch did
            np.testing.assert_array_equal(c.step, [s[k]["step"].reshape(-1)[c.index].item() for s in seen])
    assert np.all(np.isfinite(run.groups[0].percentiles))
    for group in run.groups:
        for c in group.coordinates:
            # the shadow is Adam at (0.9, 0.999) over the same gradients: adamviz.sim's Adam, within
            # two evaluations' rounding (error_bounds.moving_average_rtol, relative to Σ|g| weights)
            replay = simulate(c.g, optimizer="adam")
            t = np.arange(1, len(c.g) + 1)
            scale = np.array([np.abs(c.g[: i + 1]).max() for i in range(len(c.g))])
            bound = (
                np.array([moving_average_rtol(i, len(c.g)) * 4 for i in t]) * scale / (1 - 0.9**t) + 1e-300
            )
            assert np.all(np.abs(c.m_hat - replay.m_hat) <= bound)
    first = seen[0][0]
    assert first["exp_avg"] is None  # torch's SGD keeps no moments: these came from the recorder


def test_a_crash_keeps_the_last_flush(tmp_path):
    """A process killed mid-run leaves a whole trace: everything up to its last flush."""
    script = f"""
import os, torch
from adamviz.record import Recorder
model = torch.nn.Linear(3, 2)
opt = torch.optim.Adam(model.named_parameters())
rec = Recorder(opt, {str(tmp_path / "crash.npz")!r}, flush_seconds=0)
for step in range(30):
    model(torch.ones(4, 3)).sum().backward()
    opt.step()
    if step == 11:
        os._exit(3)  # no close(), no cleanup
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    run = load(tmp_path / "crash.npz")
    assert run.groups[0].steps.tolist() == list(range(1, 13))
    assert not list(tmp_path.glob(".crash.npz.*"))  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "crash.npz").stat().st_mode & 0o777 == 0o666 & ~umask  # as open(path, "w") makes it


def test_records_nothing_after_close(tmp_path):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.named_parameters())
    recorder = Recorder(optimizer, tmp_path / "r.npz")
    for _ in range(3):
        model(torch.ones(1, 2)).sum().backward()
        optimizer.step()
    recorder.close()
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    assert load(tmp_path / "r.npz").groups[0].steps.tolist() == [1, 2, 3]
    with pytest.raises(TraceError):
        load(tmp_path / "missing.npz")


def test_the_readme_example_records_a_run_that_opens(tmp_path, monkeypatch, capsys):
    """The README's PyTorch example, as written, then `adamviz export --trace` on what it wrote."""
    from pathlib import Path

    from adamviz.app.cli import main

    from test_docs import blocks

    readme = Path(__file__).parents[1] / "README.md"
    code = next(code for language, code, _ in blocks(readme) if language == "python" and "Recorder(" in code)
    assert len(code.strip().splitlines()) <= 14
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    exec(compile(code, "README.md", "exec"), {})  # our own file, not user text
    printed = capsys.readouterr().out
    assert printed.startswith("0.weight [")
    run = load(tmp_path / "run.npz")
    assert [g.name for g in run.groups] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(run.groups[0].steps) == 200
    assert main(["export", "run.html", "--trace", "run.npz"]) == 0
    assert (tmp_path / "run.html").stat().st_size > 100_000


def _linear_run(path, steps: int, **recorder):
    """A 3 → 2 linear model, Adam, ``steps`` steps with the recorder attached (closed at the end)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.named_parameters(), lr=0.01)
    with Recorder(optimizer, path, **recorder):
        for _ in range(steps):
            optimizer.zero_grad()
            model(torch.ones(4, 3)).pow(2).sum().backward()
            optimizer.step()


@pytest.mark.parametrize("limit", ["records", "bytes"])
def test_a_run_that_outgrows_a_trace_is_thinned_and_loads(tmp_path, monkeypatch, limit):
    """Past the record limit (here 40) or the size limit (here 20 KB), the recorder keeps every other
    record and doubles its spacing — as often as needed — says so once, and load() reads the file."""
    from adamviz.record import recorder as module

    if limit == "records":
        monkeypatch.setattr(module, "MAX_RECORDS", 40)
    else:
        monkeypatch.setattr(module, "MAX_FILE_BYTES", 64 * 1024 + 20_000)
    with pytest.warns(RuntimeWarning, match="has outgrown a trace") as warned:
        _linear_run(tmp_path / "long.npz", 200)
    assert sum("outgrown" in str(w.message) for w in warned) == 1
    run = load(tmp_path / "long.npz")
    every = run.meta["every"]
    assert every >= 4 and run.meta["thinned"] == every  # (asked for every step)
    for group in run.groups:
        steps = group.steps.tolist()
        assert steps == list(range(1, 201, every))  # exactly the steps that spacing keeps
    if limit == "records":
        assert max(len(group.steps) for group in run.groups) <= 40
    else:
        assert (tmp_path / "long.npz").stat().st_size <= 64 * 1024 + 20_000


def test_a_full_disk_warns_and_loses_nothing(tmp_path, monkeypatch):
    """Flushes 3 to 7 fail as a full disk fails them — whole writes and appends alike, an append after
    writing part of its segment: training goes on, one warning, and the file ends whole."""
    real = os.fsync
    calls = [0]

    def full_disk(handle):
        calls[0] += 1
        if 3 <= calls[0] <= 7:
            raise OSError(28, "No space left on device")
        return real(handle)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.warns(
        RuntimeWarning, match=r"could not write .*full\.npz \(No space left on device\); the records are kept"
    ) as warned:
        _linear_run(tmp_path / "full.npz", 12, flush_seconds=0)  # training went on through 5 failed flushes
    assert sum("could not write" in str(w.message) for w in warned) == 1
    assert calls[0] > 7
    assert load(tmp_path / "full.npz").groups[0].steps.tolist() == list(range(1, 13))


def test_close_says_which_file_it_could_not_write(tmp_path, monkeypatch):
    from adamviz.record import trace_writer

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    model = torch.nn.Linear(2, 1)
    recorder = Recorder(torch.optim.Adam(model.parameters()), tmp_path / "r.npz")
    monkeypatch.setattr(trace_writer, "write_atomically", full_disk)
    with pytest.raises(
        OSError, match=r"could not write .*r\.npz \(No space left on device\); the records are still"
    ):
        recorder.close()


def test_a_finished_trace_is_one_plain_npz_and_a_running_one_appends(tmp_path):
    """While training, flushes append segments (the file grows by what is new); close() leaves one
    archive, which NumPy's own np.load reads whole, equal to what load() read of the segments."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.named_parameters())
    recorder = Recorder(optimizer, tmp_path / "run.npz", flush_seconds=0)
    for _ in range(6):
        model(torch.ones(4, 3)).sum().backward()
        optimizer.step()
    data = (tmp_path / "run.npz").read_bytes()
    assert len(archive.zip_segments(data, "run.npz")) > 1
    running = load(tmp_path / "run.npz")
    recorder.close()
    assert len(archive.zip_segments((tmp_path / "run.npz").read_bytes(), "run.npz")) == 1
    with np.load(tmp_path / "run.npz") as finished:
        for key, value in running.arrays.items():
            assert finished[key].dtype == value.dtype and np.array_equal(finished[key], value), key


def test_a_diverged_tensor_stops_being_recorded(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.named_parameters())
    warns = pytest.warns(RuntimeWarning, match="weight: not finite at step 4")
    with warns, Recorder(optimizer, tmp_path / "nan.npz"):
        for step in range(1, 7):
            optimizer.zero_grad()
            model(torch.ones(1, 3)).sum().backward()
            if step == 4:
                model.weight.grad[0, 0] = float("inf")
            optimizer.step()
    run = load(tmp_path / "nan.npz")
    steps = {group.name: group.steps.tolist() for group in run.groups}
    assert steps == {"weight": [1, 2, 3], "bias": [1, 2, 3, 4, 5, 6]}


@pytest.mark.parametrize(
    "where, words",
    [
        ("folder", "is a directory"),
        ("missing/run.npz", "the folder"),
        ("run.trace", "must end in .npz"),
        ("/proc/run.npz", "cannot write in /proc"),
    ],
)
def test_the_target_is_checked_before_training(tmp_path, where, words):
    (tmp_path / "folder.npz").mkdir()
    path = tmp_path / "folder.npz" if where == "folder" else tmp_path / where
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=words):
        Recorder(torch.optim.Adam(model.parameters()), path)


def test_a_killed_writers_temporary_file_is_removed_next_time(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / f".run.npz.{int(dead.stdout)}.k1l2.tmp"  # what a write killed midway leaves
    live = tmp_path / f".run.npz.{os.getpid()}.w3r4.tmp"  # another writer at work right now
    stale.write_bytes(b"half a file")
    live.write_bytes(b"being written")
    _linear_run(tmp_path / "run.npz", 3)
    assert not stale.exists() and live.exists()
    assert load(tmp_path / "run.npz").records == 3


@pytest.mark.parametrize("character", ["x", "𝑥"])  # one UTF-16 unit, and two (beyond U+FFFF)
def test_a_long_name_keeps_its_end_within_the_page_s_limit(tmp_path, character):
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.ones(3))
    name = character * 250 + ".weight"
    optimizer = torch.optim.Adam([(name, weight)])  # a named parameter (torch >= 2.6)
    with Recorder(optimizer, tmp_path / "long.npz"):
        weight.sum().backward()
        optimizer.step()
    [group] = load(tmp_path / "long.npz").groups  # load() would refuse a name over 200 units
    shown = group.name
    assert shown.startswith("…") and shown.endswith(".weight") and name.endswith(shown[1:])
    assert len(shown.encode("utf-16-le")) // 2 in (199, 200)  # as much as fits


def _scheduled_run(path, make_scheduler, steps=60):
    """A 5 → 4 → 2 float64 model trained by AdamW with two param groups — weights (lr 0.01, decay 0.1)
    and biases (lr 0.02, no decay, their own betas) — under ``make_scheduler(optimizer)``; returns
    the trace and, per step, each group's lr as torch set it and each bias's θ before the step."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    x, y = torch.randn(32, 5, dtype=torch.float64), torch.randn(32, 2, dtype=torch.float64)
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if n.endswith("weight")], "weight_decay": 0.1},
            {
                "params": [p for n, p in named if n.endswith("bias")],
                "weight_decay": 0.0,
                "lr": 0.02,
                "betas": (0.8, 0.99),
            },
        ],
        lr=0.01,
    )
    scheduler = make_scheduler(optimizer)
    rates, thetas = [], []
    with Recorder(optimizer, path, model=model):
        for _ in range(steps):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            rates.append([group["lr"] for group in optimizer.param_groups])
            thetas.append({n: p.detach().clone().reshape(-1).numpy() for n, p in named})
            optimizer.step()
            scheduler.step()
    return load(path), np.array(rates), thetas


SCHEDULERS = {
    "warmup then cosine (SequentialLR)": lambda o: torch.optim.lr_scheduler.SequentialLR(
        o,
        [
            torch.optim.lr_scheduler.LinearLR(o, 0.1, 1.0, total_iters=9),
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=49),
        ],
        milestones=[10],
    ),
    "OneCycleLR": lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=[0.01, 0.02], total_steps=60, cycle_momentum=False
    ),
    "LambdaLR warmup": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda k: min(1.0, (k + 1) / 15)),
}


@pytest.mark.parametrize("scheduler", list(SCHEDULERS))
def test_schedules_and_groups_are_recorded_as_they_are(tmp_path, scheduler):
    """Each group keeps its own settings (lr, betas, eps, weight decay) and every record the lr and
    weight decay its step used; replayed with them, a group's step is the run's own — within the
    float64 rounding of both sides: the replay's own bound (tests/error_bounds.py) plus the recorded
    θ_{t−1} − θ_t, which rounds once at |θ|'s scale (U·|θ|) on top of torch's own ≤ 4 roundings."""
    from error_bounds import U, trajectory_bounds

    run, rates, thetas = _scheduled_run(tmp_path / "run.npz", SCHEDULERS[scheduler])
    by_name = {group.name: group for group in run.groups}
    assert (
        by_name["0.weight"].settings
        == {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1, "momentum": 0.0}
        or scheduler == "OneCycleLR"
    )  # (OneCycleLR sets its own base lr: max_lr / 25)
    assert by_name["0.bias"].settings["betas"] == [0.8, 0.99]
    assert by_name["0.bias"].settings["weight_decay"] == 0.0
    for group in run.groups:
        column = 0 if group.name.endswith("weight") else 1
        np.testing.assert_array_equal(group.lr, rates[:, column])
        np.testing.assert_array_equal(group.weight_decay, 0.1 if column == 0 else 0.0)
    assert np.ptp(rates[:, 1]) > 0, "the schedule moved the learning rate"
    for name in ("0.bias", "2.bias"):
        group = by_name[name]
        settings = {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8}
        for c in group.coordinates:
            replay = simulate(c.g, optimizer="adamw", lr=group.lr, **settings)
            theta = np.array([before[name][c.index] for before in thetas])
            bounds = trajectory_bounds(c.g, replay.theta, optimizer="adamw", rates=group.lr, **settings)
            scale = bounds["step"][:, 0] + 8 * U * np.abs(theta) + 8 * U * np.abs(c.step)
            assert np.all(np.abs(replay.step - c.step) <= scale), (name, c.index)


def test_a_scheduler_that_gives_nan_stops_the_group_and_keeps_the_rest(tmp_path):
    path = tmp_path / "nan.npz"
    with pytest.warns(RuntimeWarning, match="not finite at step 6"):
        run, _, _ = _scheduled_run(
            path,
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda k: float("nan") if k >= 5 else 1.0),
            steps=10,
        )
    assert all(len(group.steps) == 5 for group in run.groups)


def test_a_recorded_coordinate_replays_from_the_command_line_as_in_python(tmp_path, capsys):
    """adamviz simulate --gradients RUN.npz --group NAME --coordinate K: the coordinate's gradients at
    the run's own settings (its optimizer, the group's betas and eps, the recorded lr_t) — the same
    numbers as adamviz.record.replay, and the run's own steps; flags override them; a wrong name
    lists the groups."""
    from adamviz.app.cli import main
    from adamviz.record import replay

    run, _, _ = _scheduled_run(tmp_path / "run.npz", SCHEDULERS["warmup then cosine (SequentialLR)"])
    group = next(g for g in run.groups if g.name == "2.bias")
    coordinate = group.coordinates[1]
    assert (
        main(
            [
                "simulate",
                "--gradients",
                str(tmp_path / "run.npz"),
                "--group",
                "2.bias",
                "--coordinate",
                str(coordinate.index),
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",lr")
    table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    python = replay(run, "2.bias", coordinate.index)
    np.testing.assert_array_equal(table[:, -1], group.lr)
    np.testing.assert_array_equal(table[:, -3], python.step)
    np.testing.assert_allclose(
        python.step, coordinate.step, rtol=0, atol=1e-12 * np.abs(coordinate.step).max()
    )
    assert (
        main(["simulate", "--gradients", str(tmp_path / "run.npz"), "--group", "2.bias", "--lr", "0.5"]) == 0
    )
    assert capsys.readouterr().out.splitlines()[0].endswith(",theta")  # a constant lr given: no lr column
    assert main(["simulate", "--gradients", str(tmp_path / "run.npz"), "--group", "nope"]) == 2
    assert capsys.readouterr().err.strip() == (
        "adamviz: error: run.npz has no group 'nope'; it has: 0.weight, 0.bias, 2.weight, 2.bias"
    )


def test_chosen_coordinates_replace_the_draw_and_bad_ones_are_named(tmp_path):
    chosen = {"0.weight": [19, 0, 7]}
    model, _, seen = _train(OPTIMIZERS["adam"], tmp_path / "run.npz", sample=2, coordinates=chosen)
    run = load(tmp_path / "run.npz")
    first = run.groups[0]
    assert first.name == "0.weight" and [c.index for c in first.coordinates] == [0, 7, 19]
    for c in first.coordinates:  # the chosen entries' own gradients, as torch had them
        np.testing.assert_array_equal(c.g, [float(np.float32(s[0]["g"].reshape(-1)[c.index])) for s in seen])
    assert [len(g.coordinates) for g in run.groups[1:]] == [2, 2, 2]  # the rest drawn as before
    adam = OPTIMIZERS["adam"](model)
    for bad, message in (
        (
            {"0.weight": [20]},
            r"coordinates\['0.weight'\] holds 20; a flat index of 0.weight lies in \[0, 20\)",
        ),
        ({"0.weight": [3, 3]}, r"repeats an index: \[3, 3\]"),
        ({"0.weight": []}, r"is empty"),
        ({"nope": [0]}, r"coordinates names tensors the recorder does not hold: \['nope'\]"),
    ):
        with pytest.raises(ValueError, match=message):
            Recorder(adam, tmp_path / "bad.npz", coordinates=bad)


def test_groups_come_in_the_models_order_when_the_model_is_given(tmp_path):
    # the optimizer holds the biases first (a no-decay group), the model has weight, bias, weight, bias
    def grouped(model):
        named = list(model.named_parameters())
        biases = [(n, p) for n, p in named if n.endswith("bias")]
        weights = [(n, p) for n, p in named if n.endswith("weight")]
        return torch.optim.AdamW([{"params": biases, "weight_decay": 0.0}, {"params": weights}], lr=0.05)

    _train(grouped, tmp_path / "optimizer.npz")
    assert [g.name for g in load(tmp_path / "optimizer.npz").groups] == [
        "0.bias",
        "2.bias",
        "0.weight",
        "2.weight",
    ]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = grouped(model)
    with Recorder(optimizer, tmp_path / "model.npz", model=model):
        ((model(torch.randn(8, 5)) ** 2).mean()).backward()
        optimizer.step()
    run = load(tmp_path / "model.npz")
    assert [g.name for g in run.groups] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [g.settings["weight_decay"] for g in run.groups] == [0.01, 0.0, 0.01, 0.0]  # each its own group's


def _held_at_each_step(optimizer):
    """What every parameter's grad and state were as the optimizer stepped (a post-hook of our own)."""
    held = []

    def after(optimizer_, args, kwargs):
        held.append(
            [
                {
                    "g": p.grad.detach().clone(),
                    "exp_avg": optimizer_.state[p]["exp_avg"].clone(),
                    "exp_avg_sq": optimizer_.state[p]["exp_avg_sq"].clone(),
                    "t": int(optimizer_.state[p]["step"]),
                }
                for group in optimizer_.param_groups
                for p in group["params"]
            ]
        )

    optimizer.register_step_post_hook(after)
    return held


def test_a_bfloat16_model_is_recorded_as_torch_holds_it(tmp_path):
    """bf16 parameters: torch keeps grads and moments in bf16; the trace holds them exactly (float32
    holds every bf16), and r_t's percentiles are of those moments within the histogram's bound."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).to(
        torch.bfloat16
    )
    optimizer = torch.optim.AdamW(model.named_parameters(), lr=0.01, eps=1e-6)
    held = _held_at_each_step(optimizer)
    x, y = torch.randn(16, 6, dtype=torch.bfloat16), torch.randn(16, 3, dtype=torch.bfloat16)
    with Recorder(optimizer, tmp_path / "bf16.npz", sample=4, model=model):
        for _ in range(8):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            optimizer.step()
    run = load(tmp_path / "bf16.npz")
    assert all(s["exp_avg"].dtype == torch.bfloat16 for s in held[0])
    beta1, beta2 = run.meta["betas"]
    for k, group in enumerate(run.groups):
        for row, t in enumerate(group.steps.tolist()):
            state = held[row][k]
            for c in group.coordinates:
                assert c.g[row] == state["g"].reshape(-1)[c.index].double().item()
                m = state["exp_avg"].reshape(-1)[c.index].double().item()
                assert c.m_hat[row] == m / (1 - beta1**t)
            m_hat = state["exp_avg"].double().numpy().ravel() / (1 - beta1**t)
            sqrt_v_hat = np.sqrt(state["exp_avg_sq"].double().numpy().ravel()) / np.sqrt(1 - beta2**t)
            expected = np.percentile(np.abs(m_hat) / (sqrt_v_hat + 1e-6), [10, 50, 90])
            assert np.all(
                np.abs(group.percentiles[row] - expected) <= RELATIVE_ERROR * expected + ABSOLUTE_ERROR
            )


def test_under_autocast_and_a_grad_scaler_the_trace_sees_unscaled_gradients_and_no_skipped_step(tmp_path):
    """torch.autocast (bfloat16 on CPU) with a GradScaler: the recorder reads the gradients the optimizer
    steps with (unscaled), and a step the scaler skips (an inf gradient) is absent from the trace, as
    it is from the optimizer's step count."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    optimizer = torch.optim.Adam(model.named_parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    held = _held_at_each_step(optimizer)
    x, y = torch.randn(16, 6), torch.randn(16, 3)
    with Recorder(optimizer, tmp_path / "amp.npz", sample=3, model=model):
        for step in range(10):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = ((model(x) - y) ** 2).mean()
            scaler.scale(loss).backward()
            if step == 4:
                model[0].weight.grad[0, 0] = float("inf")  # an overflow: the scaler skips this step
            scaler.step(optimizer)
            scaler.update()
    run = load(tmp_path / "amp.npz")
    assert len(held) == 9  # the optimizer stepped 9 times
    for k, group in enumerate(run.groups):
        np.testing.assert_array_equal(group.steps, np.arange(1, 10))
        assert [held[row][k]["t"] for row in range(9)] == list(range(1, 10))
        for c in group.coordinates:  # unscaled: what Adam itself was given
            np.testing.assert_array_equal(
                c.g, [np.float32(h[k]["g"].reshape(-1)[c.index].item()) for h in held]
            )
    assert abs(run.groups[0].coordinates[0].g).max() < 10  # not the scale's 1,024× copies


def assert_the_page_reads_it_alike(path, tmp_path):
    """The page's reader (assets/trace_files.js, in Node) makes of ``path`` what load() makes of it:
    the optimizer that replays it, each group's settings, and m̂ and √v̂ — equal but for the bias
    corrections' β^t, which JavaScript's Math.pow and the C library's pow may each round within an
    ulp: 1 − β^t then moves by ≤ 2 ulps · 2U·β^t / (1 − β^t), relative, plus the division's U."""
    from test_engine_node import run_node

    from error_bounds import U

    [page] = run_node(Path(__file__).parent / "js" / "layers_cli.mjs", [str(path)], tmp_path)
    run = load(path)
    assert page["optimizer"] == run.optimizer
    assert page["settings"] == [group.settings for group in run.groups]
    for got, group in zip(page["coordinates"], run.groups, strict=True):
        beta1, beta2 = group.settings["betas"]
        powers = {
            key: beta ** group.steps.astype(float) for key, beta in (("m_hat", beta1), ("sqrt_v_hat", beta2))
        }
        for seen, c in zip(got, group.coordinates, strict=True):
            assert seen["index"] == c.index
            for key in ("m_hat", "sqrt_v_hat"):
                rtol = 4 * U * powers[key] / (1 - powers[key]) + 2 * U
                assert np.all(
                    np.abs(np.array(seen[key]) - getattr(c, key)) <= rtol * np.abs(getattr(c, key))
                ), key


MORE_OPTIMIZERS = {
    "RMSprop": lambda params: torch.optim.RMSprop(params, lr=0.01, alpha=0.95, eps=1e-6),
    "RAdam": lambda params: torch.optim.RAdam(params, lr=0.01, betas=(0.8, 0.99)),
    "NAdam": lambda params: torch.optim.NAdam(params, lr=0.01, betas=(0.85, 0.995)),
    "Adamax": lambda params: torch.optim.Adamax(params, lr=0.01, betas=(0.9, 0.99), eps=1e-7),
    "Adagrad": lambda params: torch.optim.Adagrad(
        params, lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1
    ),
}


@pytest.mark.parametrize("kind", list(MORE_OPTIMIZERS))
def test_more_optimizers_are_recorded_from_their_own_state_and_replay(kind, tmp_path):
    """RMSprop, RAdam, NAdam, Adamax, Adagrad: each record holds the optimizer's own state (its
    numerator and what it divides by, RECORDED_OPTIMIZERS' names) as torch held it; m̂ and √v̂ are
    formed as adamviz.sim forms them for that optimizer; r_t's percentiles are of the same; and a
    replay at the run's own settings steps as torch did (float64) — within the replay's own bound
    (tests/error_bounds.py) plus the recorded θ_{t−1} − θ_t's rounding at |θ|'s scale, as for Adam."""
    from adamviz.record import replay, replay_settings
    from adamviz.record.trace_file import RECORDED_OPTIMIZERS

    from error_bounds import U, trajectory_bounds

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    optimizer = MORE_OPTIMIZERS[kind](model.named_parameters())
    form = RECORDED_OPTIMIZERS[kind]
    held = []

    def after(optimizer_, args, kwargs):
        rows = []
        for p in model.parameters():
            state = optimizer_.state[p]
            numerator = p.grad if form["numerator"] == "grad" else state[form["numerator"]]
            rows.append(
                {
                    "m": numerator.clone(),
                    "v": state[form["denominator"]].clone(),
                    "t": int(state["step"]),
                    "theta": p.detach().clone(),
                }
            )
        held.append(rows)

    optimizer.register_step_post_hook(after)
    x, y = torch.randn(32, 5, dtype=torch.float64), torch.randn(32, 2, dtype=torch.float64)
    with Recorder(optimizer, tmp_path / "run.npz", sample=3, model=model):
        for _ in range(STEPS):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            optimizer.step()
    run = load(tmp_path / "run.npz")
    assert run.meta["optimizer"] == kind and run.optimizer == form["replays"]
    beta1, beta2 = run.meta["betas"]
    eps = run.meta["eps"]
    for k, group in enumerate(run.groups):
        assert {key: group.settings[key] for key in form["extra"]} == {
            key: optimizer.param_groups[0][key] for key in form["extra"]
        }
        for row, t in enumerate(group.steps.tolist()):
            state = held[row][k]
            c1 = 1 - beta1**t if form["corrected"][0] else 1.0
            c2 = np.sqrt(1 - beta2**t) if form["corrected"][1] else 1.0
            m_hat = state["m"].numpy().ravel() / c1
            root = np.sqrt(state["v"].numpy().ravel()) if form["root"] else state["v"].numpy().ravel()
            sqrt_v_hat = root / c2
            for c in group.coordinates:
                assert c.m_hat[row] == m_hat[c.index] and c.sqrt_v_hat[row] == sqrt_v_hat[c.index]
            r = np.abs(m_hat) / (sqrt_v_hat + (eps if form["root"] else 0.0))
            expected = np.percentile(r, [10, 50, 90])
            assert np.all(
                np.abs(group.percentiles[row] - expected) <= RELATIVE_ERROR * expected + ABSOLUTE_ERROR
            )
        settings = replay_settings(run, group)
        rates = settings.pop("lr")  # the recorded lr_t, one per step
        assert_the_page_reads_it_alike(tmp_path / "run.npz", tmp_path)
        for c in group.coordinates:  # replayed on the recorded gradients: torch's steps, to rounding
            again = replay(run, group.name, c.index)
            theta = np.array([held[row][k]["theta"].reshape(-1)[c.index].item() for row in range(STEPS)])
            bounds = trajectory_bounds(c.g, again.theta, rates=rates, lr=group.settings["lr"], **settings)
            scale = bounds["step"] + 8 * U * np.abs(theta) + 8 * U * np.abs(c.step)
            assert np.all(np.abs(again.step - c.step) <= scale), (group.name, c.index)


def test_an_rmsprop_whose_step_is_not_a_quotient_is_refused_by_name(tmp_path):
    model = torch.nn.Linear(3, 2)
    for options, words in (
        ({"momentum": 0.9}, "momentum 0.9, centered False"),
        ({"centered": True}, "centered True"),
    ):
        with pytest.raises(TypeError, match=f"RMSprop without momentum and not centered .*{words}"):
            Recorder(torch.optim.RMSprop(model.parameters(), **options), tmp_path / "run.npz")
    with pytest.raises(
        TypeError,
        match=r"Recorder records torch\.optim\.Adam, AdamW, SGD, RMSprop, RAdam, NAdam, Adamax, Adagrad; got LBFGS",
    ):
        Recorder(torch.optim.LBFGS(model.parameters()), tmp_path / "run.npz")
