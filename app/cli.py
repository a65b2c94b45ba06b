"""The ``adamviz`` command line: ``simulate`` (CSV out, no Panel import), ``serve`` and ``export``.

Bad input exits with status 2 and a single line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np
import param

from adamviz.sim import (
    COLUMNS,
    ITERATIONS_MAX,
    OPTIMIZERS,
    SCHEDULES,
    SEED_MAX,
    STREAMS,
    Settings,
    Trajectory,
    simulate,
    stream,
)
from adamviz.sim.optimizers import REQUIREMENTS
from adamviz.sim.precision import PRECISIONS
from adamviz.sim.schedules import is_constant
from adamviz.sim.validation import rejection

from .settings import PAGE_FLAGS, ROLES, ExplorerSettings, browser_spec, requirement


class UsageError(Exception):
    """A bad command line or input file; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


SIMULATE_MEANINGS = {
    "lr": "learning rate",
    "beta1": "first-moment decay",
    "beta2": "second-moment decay",
    "eps": "denominator epsilon",
    "momentum": "SGD momentum",
    "weight_decay": "weight decay",
    "theta0": "starting parameter value",
}
"""What ``simulate``'s numeric flags mean; their defaults are ``adamviz.sim.Settings``' and their ranges
``adamviz.sim.optimizers.REQUIREMENTS``."""

SIMULATE_RUN_FLAGS = {
    "warmup": (int, "steps of linear warmup first", "0"),
    "switch_at": (int, "from this step on SGD with momentum (a fresh buffer) takes over", "0: never"),
    "switch_lr": (float, "SGD's learning rate after the switch", "0: match the mean |step| before it"),
    "min_lr": (float, "where the decay ends, as a fraction of lr", "0"),
}
"""``simulate``'s flags for the learning rate over the run (besides ``--schedule``): their type, meaning
and what their default, 0, means; ranges from ``REQUIREMENTS``."""


def _add_simulate_settings(parser: argparse.ArgumentParser) -> None:
    """``simulate``'s hyperparameter flags, from adamviz.sim's tables."""
    defaults = {field.name: field.default for field in dataclasses.fields(Settings)}
    parser.add_argument(
        "--seed", type=int, default=0, help=f"stream seed, an integer in [0, {SEED_MAX}] (default 0)"
    )
    parser.add_argument(
        "--iterations", type=int, default=None, help=f"steps, 1..{ITERATIONS_MAX} (default 200)"
    )
    # (None: not given — a trace's own settings fill in before simulate's defaults)
    parser.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default=None, help="default adam (a trace: the run's)"
    )
    for name, meaning in SIMULATE_MEANINGS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=float,
            default=None,
            help=f"{meaning}, {REQUIREMENTS[name]} (default {defaults[name]:g}; a trace: the run's)",
        )
    parser.add_argument("--no-bias-correction", action="store_true", help="skip dividing by 1 - beta**t")
    parser.add_argument(
        "--schedule",
        choices=list(SCHEDULES),
        default=defaults["schedule"],
        help="how lr changes over the run: " + "; ".join(f"{k}: {v}" for k, v in SCHEDULES.items()),
    )
    for name, (kind, meaning, default) in SIMULATE_RUN_FLAGS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            default=0,
            help=f"{meaning}, {REQUIREMENTS[name]} (default {default})",
        )
    parser.add_argument(
        "--precision",
        choices=list(PRECISIONS),
        default="float64",
        help="the format θ, its gradient and the optimizer's state are held in, rounded as torch rounds "
        "them on the CPU (default float64)",
    )


def _add_explorer_settings(parser: argparse.ArgumentParser) -> None:
    """``export``'s flags for the explorer's settings: one per setting of ``ExplorerSettings`` that has a
    CLI spelling (settings.ROLES, settings.PAGE_FLAGS), its label, range and default read from there."""
    spec = browser_spec()
    for name, flag in {**{n: ROLES[n].cli for n in spec}, **PAGE_FLAGS}.items():
        if flag is None or name == "start_y":
            continue
        parameter = ExplorerSettings.param[name]
        entry = spec.get(name, {"kind": "page"})
        if name == "start_x":  # one flag for the start point
            parser.add_argument(
                flag,
                type=float,
                nargs="+",
                metavar="X",
                dest="start",
                help=f"the closed loop's start: x y (θ for the bowl), each {requirement(entry)}; default: the problem's own",
            )
            continue
        default = parameter.default
        about = (
            f"{parameter.label}: {requirement(entry)}" if name in spec else (parameter.doc or "").rstrip(".")
        )
        if isinstance(parameter, param.Boolean):
            if flag.startswith("--no-"):
                parser.add_argument(
                    flag, dest=name, action="store_false", default=True, help=f"{parameter.label} off"
                )
            else:
                parser.add_argument(
                    flag, dest=name, action=argparse.BooleanOptionalAction, default=default, help=about
                )
        elif isinstance(parameter, param.ListSelector):
            shown = "all" if list(default) == list(parameter.objects) else ",".join(default) or "none"
            parser.add_argument(
                flag, dest=name, default=",".join(default), help=f"{about}, comma-separated (default {shown})"
            )
        elif isinstance(parameter, param.Selector):  # checked with the settings: the page's message
            metavar = "|".join(parameter.objects)
            parser.add_argument(
                flag, dest=name, metavar=metavar, default=default, help=f"{about} (default {default})"
            )
        else:
            kinds = {param.Integer: int, param.Number: float}
            kind = next((k for cls, k in kinds.items() if isinstance(parameter, cls)), str)
            shown = "" if default is None else f" (default {default!r})"  # None: the doc says what
            parser.add_argument(flag, dest=name, type=kind, default=default, help=f"{about}{shown}")


def _names(flag: str) -> list[str]:
    """A comma-separated flag as a list of names (spaces and empty items dropped)."""
    return [name.strip() for name in flag.split(",") if name.strip()]


TRACE_HELP = (
    "a training run to open on: a trace .npz from adamviz.record, a 1-D .npy or a one-column .csv of "
    "gradients, or 'mlp' or 'transformer' (the on-board runs); the page carries it (4/3 of the file's size)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="adamviz", description="See how Adam adapts each parameter's learning rate.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sim = commands.add_parser("simulate", help="step an optimizer over a stream; CSV to stdout or --out")
    source = sim.add_mutually_exclusive_group(required=True)
    source.add_argument("--stream", choices=list(STREAMS), help="a built-in seeded stream")
    source.add_argument(
        "--gradients",
        metavar="FILE",
        help=".csv (one column) or .npy (1-D) gradients, or a trace .npz (adamviz.record): one recorded "
        "coordinate replayed at the run's own settings (its lr_t too) unless flags say otherwise",
    )
    sim.add_argument("--group", metavar="NAME", help="with a trace: the group (a wrong name lists them)")
    sim.add_argument(
        "--coordinate", type=int, metavar="K", help="with a trace: the recorded coordinate's flat index"
    )
    _add_simulate_settings(sim)
    sim.add_argument("--out", metavar="FILE", help="write the CSV here instead of stdout")

    export = commands.add_parser(
        "export", help="write the explorer as one self-contained HTML file, or a clip of it playing"
    )
    export.add_argument(
        "out",
        metavar="OUT.html",
        help="the file to write: .html (the page), or .mp4, .webm or .gif (a clip, needs 'adamviz[preview]')",
    )
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
    _add_explorer_settings(export)
    export.add_argument(
        "--preview",
        metavar="PNG",
        help="also write a 1200x630 picture for link cards (needs Chromium: pip install 'adamviz[preview]')",
    )
    clip = export.add_argument_group("clips (OUT.mp4, OUT.webm, OUT.gif)")
    clip.add_argument(
        "--from", dest="clip_from", type=int, metavar="I", help="the first iteration (default 0)"
    )
    clip.add_argument(
        "--to", dest="clip_to", type=int, metavar="I", help="the last iteration (default the last)"
    )
    clip.add_argument(
        "--fps",
        dest="clip_fps",
        type=int,
        metavar="N",
        help="frames a second, one iteration each (20; a GIF 12)",
    )
    clip.add_argument("--size", dest="clip_size", metavar="WxH", help="the frame in pixels (1280x720)")
    clip.add_argument(
        "--slide", dest="clip_slide", type=int, metavar="N", help="with --lecture: film slide N"
    )

    summarize = commands.add_parser(
        "summary", help="every recorded layer at a glance: r_t's percentiles per group, frozen ones flagged"
    )
    summarize.add_argument(
        "trace",
        metavar="FILE",
        help="a trace .npz (adamviz.record), a gradient log, or 'mlp' or 'transformer' (the on-board traces)",
    )

    serve = commands.add_parser("serve", help="run the explorer at http://localhost:PORT/")
    serve.add_argument("--port", type=int, default=5006)
    serve.add_argument("--show", action="store_true", help="open a browser tab")
    serve.add_argument("--lecture", action="store_true", help="start in lecture mode")
    serve.add_argument("--trace", metavar="FILE", default="", help=TRACE_HELP)
    serve.add_argument(
        "--follow",
        action="store_true",
        help="with --trace FILE: read it again as the run writes it; open pages update within a second",
    )
    theme = ExplorerSettings.param.theme
    serve.add_argument(
        "--theme", choices=theme.objects, default=theme.default, help=f"{theme.doc} (default {theme.default})"
    )
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


def write_csv(trajectory: Trajectory, out: TextIO, scheduled: bool = False) -> None:
    """Header ``t,g,m,...,theta`` (and ``lr``, each step's lr_t, when ``scheduled``); ``t`` from 1; every
    value at full (round-trip) float64 precision."""
    columns = (*COLUMNS, "lr") if scheduled else COLUMNS
    table = np.column_stack([getattr(trajectory, name) for name in columns])
    out.write("t," + ",".join(columns) + "\n")
    for t, row in enumerate(table.tolist(), start=1):
        out.write(f"{t}," + ",".join(map(repr, row)) + "\n")


def _run_simulate(args: argparse.Namespace) -> None:
    from adamviz.record.gradient_files import read_gradients

    own: dict[str, Any] = {}  # a trace's settings, where the flags leave them
    trace = bool(args.gradients) and Path(args.gradients).suffix.lower() == ".npz"
    if (args.group is not None or args.coordinate is not None) and not trace:
        raise ValueError("--group and --coordinate choose a coordinate of a trace (--gradients RUN.npz)")
    if args.stream:
        gradients = stream(args.stream, 200 if args.iterations is None else args.iterations, args.seed)
    elif trace:
        from adamviz.record import find, load, replay_settings

        run = load(args.gradients)
        group, coordinate = find(run, args.group, args.coordinate)
        gradients = coordinate.g
        if args.iterations is not None:
            if not 1 <= args.iterations <= len(gradients):
                raise ValueError(
                    rejection("--iterations", args.iterations, f"an integer in [1, {len(gradients)}]")
                    + f" (the records of {group.name})"
                )
            gradients = gradients[: args.iterations]
        own = replay_settings(run, group, len(gradients))
        if args.lr is not None or args.schedule != "constant" or args.warmup:
            own.pop("lr", None)  # the flags give the learning rate
    else:
        if args.iterations is not None and args.iterations < 1:
            raise ValueError(rejection("--iterations", args.iterations, "an integer >= 1"))
        gradients = read_gradients(args.gradients, limit=args.iterations)  # reads only what it needs
        if args.iterations is not None and len(gradients) < args.iterations:
            raise ValueError(
                rejection("--iterations", args.iterations, f"an integer in [1, {len(gradients)}]")
                + f" (the length of {args.gradients})"
            )
    defaults = {field.name: field.default for field in dataclasses.fields(Settings)}
    chosen = {
        name: next(v for v in (getattr(args, name), own.get(name), defaults[name]) if v is not None)
        for name in ("optimizer", *SIMULATE_MEANINGS)
    }
    trajectory = simulate(
        gradients,
        **chosen,
        bias_correction=not args.no_bias_correction,
        schedule=args.schedule,
        precision=args.precision,
        **{name: getattr(args, name) for name in SIMULATE_RUN_FLAGS},
    )
    scheduled = not is_constant(args.schedule, args.warmup) or bool(np.ptp(trajectory.lr))
    if args.out:
        from adamviz.record.files import write_atomically

        table = io.StringIO()
        write_csv(trajectory, table, scheduled)
        write_atomically(args.out, table.getvalue())
    else:
        write_csv(trajectory, sys.stdout, scheduled)


def _run_export(args: argparse.Namespace) -> None:
    from .clip import CLIP_FORMATS, OTHER_MEDIA
    from .export import write_export
    from .settings import checked_settings

    values = {name: getattr(args, name) for name in (*browser_spec(), *PAGE_FLAGS) if hasattr(args, name)}
    for name, value in values.items():
        if isinstance(ExplorerSettings.param[name], param.ListSelector):
            values[name] = _names(value)
    if args.start is not None:
        if len(args.start) > 2:
            raise ValueError(f"--start takes x and y (or θ for the bowl); got {len(args.start)} numbers")
        values["start_x"] = args.start[0]
        values["start_y"] = args.start[-1] if len(args.start) == 2 else 0.0
    settings = checked_settings(**values)
    clip_flags = {flag: getattr(args, f"clip_{flag}") for flag in ("from", "to", "fps", "size", "slide")}
    if Path(args.out).suffix.lower() in CLIP_FORMATS:
        _write_clip(args, settings, clip_flags)
        return
    named = [f"--{flag}" for flag, value in clip_flags.items() if value is not None]
    if named:
        raise UsageError(
            f"adamviz export: error: {', '.join(named)} go with a clip (OUT.mp4, OUT.webm or OUT.gif)"
        )
    if Path(args.out).suffix.lower() in OTHER_MEDIA:
        raise UsageError(
            f"adamviz export: error: a clip is {', '.join(CLIP_FORMATS)}; got {Path(args.out).name!r}"
        )
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


def _write_clip(args: argparse.Namespace, settings: ExplorerSettings, flags: dict[str, Any]) -> None:
    from .clip import DEFAULT_FPS, DEFAULT_SIZE, check_clip, parse_size, write_clip

    for name in ("snippet", "lite", "preview"):
        if getattr(args, name):
            raise UsageError(f"adamviz export: error: --{name} goes with a page (OUT.html), not a clip")
    clip = check_clip(
        args.out,
        settings,
        start=flags["from"],
        end=flags["to"],
        fps=DEFAULT_FPS[Path(args.out).suffix.lower()] if flags["fps"] is None else flags["fps"],
        size=DEFAULT_SIZE if flags["size"] is None else parse_size(flags["size"]),
        slide=flags["slide"],
    )
    path = write_clip(args.out, settings, clip)
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {clip.frames} frames at {clip.fps} fps)")


def _run_summary(args: argparse.Namespace) -> None:
    from adamviz.record import load
    from adamviz.record.summary import summary_text

    from .settings import ON_BOARD_TRACES
    from .traces import on_board_path

    print(summary_text(load(on_board_path(args.trace) if args.trace in ON_BOARD_TRACES else args.trace)))


def _run_serve(args: argparse.Namespace) -> None:
    from .server import serve

    serve(
        port=args.port,
        show=args.show,
        lecture=args.lecture,
        trace=args.trace,
        theme=args.theme,
        address=args.address,
        allow_websocket_origin=tuple(args.allow_websocket_origin),
        follow=args.follow,
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
        commands = {
            "simulate": _run_simulate,
            "export": _run_export,
            "serve": _run_serve,
            "summary": _run_summary,
        }
        commands[args.command](args)
    except BrokenPipeError:  # `adamviz simulate ... | head`: the reader has all it wanted
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a command killed by the signal reports
    except UsageError as error:
        print(str(error).replace("\n", " "), file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"adamviz: error: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # 128 + SIGINT
    except Exception as error:  # a failure nobody foresaw: still one line, and how to see more
        if os.environ.get("ADAMVIZ_DEBUG"):
            raise
        print(
            f"adamviz: error: {type(error).__name__}: {error} (ADAMVIZ_DEBUG=1 shows where)".replace(
                "\n", " "
            ),
            file=sys.stderr,
        )
        return 1
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not hit the closed pipe again
    (the recipe in Python's documentation of SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
