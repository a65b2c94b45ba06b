"""The ``adamviz`` command line: ``simulate`` (CSV out, no Panel import), ``serve`` and ``export``.

Bad input exits with status 2 and a single line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from adamviz.sim import COLUMNS, ITERATIONS_MAX, OPTIMIZERS, STREAMS, Trajectory, simulate, stream
from adamviz.sim.validation import rejection

from .settings import CONTROLS, DEFAULT_SCENARIOS, PANELS, ExplorerSettings


class UsageError(Exception):
    """A bad command line or input file; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def _add_settings(parser: argparse.ArgumentParser, *, all_optimizers: bool) -> None:
    """The hyperparameter flags, shared by ``simulate`` and ``export``."""
    parser.add_argument("--seed", type=int, default=0, help="stream seed, 0..4294967295 (default 0)")
    parser.add_argument("--iterations", type=int, default=None, help=f"steps, 1..{ITERATIONS_MAX}")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate > 0 (default 0.01)")
    parser.add_argument("--beta1", type=float, default=0.9, help="first-moment decay in [0, 1) (default 0.9)")
    parser.add_argument("--beta2", type=float, default=0.999, help="second-moment decay in [0, 1)")
    parser.add_argument("--eps", type=float, default=1e-8, help="denominator epsilon > 0 (default 1e-8)")
    parser.add_argument("--no-bias-correction", action="store_true", help="skip dividing by 1 - beta**t")
    if all_optimizers:
        parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam")
        parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum in [0, 1)")
        parser.add_argument("--weight-decay", type=float, default=0.0, help="weight decay >= 0")
        parser.add_argument("--theta0", type=float, default=0.0, help="starting parameter value")


def defaults_of(name: str) -> object:
    """The default of setting ``name`` (ExplorerSettings is the one table)."""
    return ExplorerSettings.param[name].default


def _names(flag: str) -> list[str]:
    """A comma-separated flag as a list of names (spaces and empty items dropped)."""
    return [name.strip() for name in flag.split(",") if name.strip()]


TRACE_HELP = (
    "a training run to open on: a trace .npz from adamviz.record, a 1-D .npy or a one-column .csv of "
    "gradients, or 'mlp' (the on-board run); the page carries it (4/3 of the file's size)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="adamviz", description="See how Adam adapts each parameter's learning rate.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sim = commands.add_parser("simulate", help="step an optimizer over a stream; CSV to stdout or --out")
    source = sim.add_mutually_exclusive_group(required=True)
    source.add_argument("--stream", choices=list(STREAMS), help="a built-in seeded stream")
    source.add_argument("--gradients", metavar="FILE", help=".csv (one column) or .npy (1-D) gradients")
    _add_settings(sim, all_optimizers=True)
    sim.add_argument("--out", metavar="FILE", help="write the CSV here instead of stdout")

    export = commands.add_parser("export", help="write the explorer as one self-contained HTML file")
    export.add_argument("out", metavar="OUT.html", help="the file to write")
    export.add_argument(
        "--resources",
        choices=["inline", "cdn"],
        default="inline",
        help="inline (default): works offline; cdn: small, loads BokehJS from its CDN",
    )
    export.add_argument("--snippet", action="store_true", help="an HTML fragment to paste into a blog post")
    export.add_argument(
        "--lite",
        action="store_true",
        help="with --snippet: a ~1 KB further explorer for a page that already holds a full snippet",
    )
    _add_settings(export, all_optimizers=False)
    export.add_argument(
        "--optimizer", default="adam", help=f"the optimizer the cards show: {', '.join(OPTIMIZERS)}"
    )
    export.add_argument(
        "--compare", default="", help="comma-separated optimizers drawn beside it (e.g. sgd,momentum)"
    )
    export.add_argument(
        "--momentum", type=float, default=defaults_of("momentum"), help="momentum in [0, 0.999]"
    )
    export.add_argument("--weight-decay", type=float, default=0.0, help="weight decay in [0, 1]")
    export.add_argument(
        "--grad-scale", type=int, default=0, help="every stream times 10^K, K in -6..6 (default 0)"
    )
    export.add_argument("--iteration", type=int, default=0, help="iteration shown first (from 0)")
    export.add_argument(
        "--scenarios", default=",".join(DEFAULT_SCENARIOS), help="comma-separated streams, one card each"
    )
    defaults = ExplorerSettings.param
    export.add_argument(
        "--speed", type=float, default=defaults.speed.default, help="iterations per second while playing"
    )
    export.add_argument(
        "--window", type=int, default=defaults.window.default, help="iterations shown; 0 = whole history"
    )
    export.add_argument("--theme", choices=["light", "dark"], default="light")
    export.add_argument(
        "--autoplay",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="start playing when the page opens",
    )
    export.add_argument("--title", default=None, help="the page's heading (shown escaped)")
    export.add_argument(
        "--panels",
        default=",".join(PANELS),
        help=f"what each card draws, comma-separated: {', '.join(PANELS)}",
    )
    export.add_argument(
        "--controls",
        default=",".join(CONTROLS),
        help="the controls shown, comma-separated (empty: none, for prose-driven embeds)",
    )
    export.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="title, update rule, introduction",
    )
    export.add_argument("--height", type=int, default=defaults_of("height"), help="a card's plots, in pixels")
    export.add_argument("--lecture", action="store_true", help="the lecture deck instead of the cards")
    export.add_argument(
        "--smooth",
        action=argparse.BooleanOptionalAction,
        default=defaults.smooth.default,
        help="glide between iterations while playing (lecture pages: on unless the URL says smooth=false)",
    )
    export.add_argument(
        "--view",
        default=defaults.view.default,
        help="cards (one per scenario), population (many parameters at once) or valley (a closed loop)",
    )
    export.add_argument(
        "--problem",
        default=None,
        help="the closed-loop view's problem: bowl, valley or rosenbrock (default valley)",
    )
    export.add_argument(
        "--condition",
        type=float,
        default=defaults.condition.default,
        help="the valley's condition number, 1..1000",
    )
    export.add_argument(
        "--rotated", action=argparse.BooleanOptionalAction, default=False, help="turn the valley 45°"
    )
    export.add_argument(
        "--noise",
        type=float,
        default=defaults.noise.default,
        help="closed-loop gradient noise (half-width), 0..100",
    )
    export.add_argument(
        "--start",
        type=float,
        nargs="+",
        metavar="X",
        help="the closed loop's start: x y (θ for the bowl); default: the problem's own",
    )
    export.add_argument(
        "--n-params",
        type=int,
        default=defaults.n_params.default,
        help="parameters in the many-parameters view, 10..10000",
    )
    export.add_argument(
        "--spread-axis", default=defaults.spread_axis.default, help="the scatter's x-axis: true or estimated"
    )
    export.add_argument("--trace", metavar="FILE", default="", help=TRACE_HELP)
    export.add_argument(
        "--preview",
        metavar="PNG",
        help="also write a 1200x630 picture for link cards (needs Chromium: pip install 'adamviz[preview]')",
    )

    serve = commands.add_parser("serve", help="run the explorer at http://localhost:PORT/")
    serve.add_argument("--port", type=int, default=5006)
    serve.add_argument("--show", action="store_true", help="open a browser tab")
    serve.add_argument("--lecture", action="store_true", help="start in lecture mode")
    serve.add_argument("--trace", metavar="FILE", default="", help=TRACE_HELP)
    serve.add_argument(
        "--address", default=None, help="interface to listen on (default: localhost only; 0.0.0.0 for all)"
    )
    serve.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="also answer requests for http://HOST:PORT/ (e.g. a laptop's name in a lecture hall)",
    )
    return parser


def write_csv(trajectory: Trajectory, out: TextIO) -> None:
    """Header ``t,g,m,...,theta``; ``t`` from 1; every value at full (round-trip) float64 precision."""
    table = np.column_stack([getattr(trajectory, name) for name in COLUMNS])
    out.write("t," + ",".join(COLUMNS) + "\n")
    for t, row in enumerate(table.tolist(), start=1):
        out.write(f"{t}," + ",".join(map(repr, row)) + "\n")


def _run_simulate(args: argparse.Namespace) -> None:
    from adamviz.record.gradient_files import read_gradients

    if args.stream:
        gradients = stream(args.stream, 200 if args.iterations is None else args.iterations, args.seed)
    else:
        if args.iterations is not None and args.iterations < 1:
            raise ValueError(rejection("--iterations", args.iterations, "an integer >= 1"))
        gradients = read_gradients(args.gradients, limit=args.iterations)  # reads only what it needs
        if args.iterations is not None and len(gradients) < args.iterations:
            raise ValueError(
                rejection("--iterations", args.iterations, f"an integer in [1, {len(gradients)}]")
                + f" (the length of {args.gradients})"
            )
    trajectory = simulate(
        gradients,
        optimizer=args.optimizer,
        lr=args.lr,
        beta1=args.beta1,
        beta2=args.beta2,
        eps=args.eps,
        weight_decay=args.weight_decay,
        momentum=args.momentum,
        bias_correction=not args.no_bias_correction,
        theta0=args.theta0,
    )
    if args.out:
        from adamviz.record.files import write_atomically

        table = io.StringIO()
        write_csv(trajectory, table)
        write_atomically(args.out, table.getvalue())
    else:
        write_csv(trajectory, sys.stdout)


def _run_export(args: argparse.Namespace) -> None:
    from .export import write_export
    from .settings import checked_settings

    values = {
        "seed": args.seed,
        "iterations": ExplorerSettings.param.iterations.default
        if args.iterations is None
        else args.iterations,
        "lr": args.lr,
        "beta1": args.beta1,
        "beta2": args.beta2,
        "eps": args.eps,
        "bias_correction": not args.no_bias_correction,
        "iteration": args.iteration,
        "speed": args.speed,
        "window": args.window,
        "theme": args.theme,
        "autoplay": args.autoplay,
        "scenarios": _names(args.scenarios),
        "lecture": args.lecture,
        "optimizer": args.optimizer,
        "compare": _names(args.compare),
        "momentum": args.momentum,
        "weight_decay": args.weight_decay,
        "grad_scale": args.grad_scale,
        "panels": _names(args.panels),
        "controls": _names(args.controls),
        "header": args.header,
        "height": args.height,
        "view": args.view,
        "smooth": args.smooth,
        "n_params": args.n_params,
        "spread_axis": args.spread_axis,
        "condition": args.condition,
        "rotated": args.rotated,
        "noise": args.noise,
        "trace": args.trace,
    }
    if args.problem is not None:
        values["problem"] = args.problem
    if args.start is not None:
        if len(args.start) > 2:
            raise ValueError(f"--start takes x and y (or θ for the bowl); got {len(args.start)} numbers")
        values["start_x"] = args.start[0]
        values["start_y"] = args.start[-1] if len(args.start) == 2 else 0.0
    if args.title is not None:
        values["title"] = args.title
    settings = checked_settings(**values)
    image = None
    if args.preview:
        from .preview import write_preview

        picture = write_preview(args.preview, settings)
        print(f"wrote {picture} ({picture.stat().st_size:,} bytes)")
        # the page names its picture relative to itself (a site generator may make it absolute)
        image = Path(os.path.relpath(picture.resolve(), Path(args.out).resolve().parent)).as_posix()
    if args.lite and not args.snippet:
        raise UsageError("adamviz export: error: --lite goes with --snippet")
    path = write_export(
        args.out, settings, resources=args.resources, snippet=args.snippet, image=image, lite=args.lite
    )
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


def _run_serve(args: argparse.Namespace) -> None:
    from .server import serve

    serve(
        port=args.port,
        show=args.show,
        lecture=args.lecture,
        trace=args.trace,
        address=args.address,
        allow_websocket_origin=tuple(args.allow_websocket_origin),
    )


NUMERIC_FLAGS = frozenset(
    {"--lr", "--beta1", "--beta2", "--eps", "--momentum", "--weight-decay", "--theta0", "--grad-scale"}
)


def _negative_values_attached(argv: Sequence[str]) -> list[str]:
    """``--theta0 -1e308`` as ``--theta0=-1e308``: argparse takes a token like ``-1e308`` for a flag
    (it only recognises plain negative numbers such as ``-1.5``)."""
    out: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in NUMERIC_FLAGS and following is not None and following.startswith("-"):
            try:
                float(following)
            except ValueError:
                pass
            else:
                out.append(f"{token}={following}")
                i += 2
                continue
        out.append(token)
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adamviz`` console script; returns the exit status."""
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = build_parser().parse_args(_negative_values_attached(argv))
        {"simulate": _run_simulate, "export": _run_export, "serve": _run_serve}[args.command](args)
    except BrokenPipeError:  # `adamviz simulate ... | head`: the reader has all it wanted
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a command killed by the signal reports
    except UsageError as error:
        print(str(error).replace("\n", " "), file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"adamviz: error: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not hit the closed pipe again
    (the recipe in Python's documentation of SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
