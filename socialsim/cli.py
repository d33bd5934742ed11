"""The ``socialsim`` command.

``socialsim run`` runs one simulation and writes its outputs; ``socialsim
config`` prints a fully resolved config to start a YAML file from. Errors in
configs and arguments are reported in one or two lines, without a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from socialsim._version import __version__
from socialsim.config.loading import load_config, parse_overrides
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2
EXIT_FAILURE = 1


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``socialsim`` command."""
    parser = argparse.ArgumentParser(
        prog="socialsim",
        description=(
            "Agent-based simulation of Chinese social commerce: consumers in tiered cities, "
            "KOLs, KOCs and micro-store owners on a social graph."
        ),
        epilog="Run 'socialsim COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"socialsim {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run one simulation and write its outputs",
        description=(
            "Run one simulation. With no arguments, runs the built-in default world "
            "(50,000 consumers, 90 days) from a fresh seed, which is recorded. Writes "
            "steps.parquet (per-step metrics), platforms.parquet (per-step, per-platform "
            "metrics), summary.json (totals, seed, config hash, versions, timings), "
            "config.yaml (the fully resolved config: pass it back to reproduce the run), "
            "dashboard.png and, with --events, orders.parquet to the output directory."
        ),
    )
    _add_config_arguments(run)
    run.add_argument(
        "--steps",
        type=_non_negative_int,
        metavar="N",
        help="days to simulate (default: run.steps, 90)",
    )
    run.add_argument(
        "--seed",
        type=_non_negative_int,
        metavar="S",
        help="root seed (default: run.seed; if unset, fresh entropy, recorded in the outputs)",
    )
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output directory (default: runs/<date>-<time>-seed<S>)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the outputs of an earlier run in --out (refused otherwise)",
    )
    run.add_argument(
        "--events",
        action="store_true",
        help="also write orders.parquet, one row per order (step, buyer, tier, product, "
        "platform, channel, source, price paid, group id, returned)",
    )
    run.add_argument("--no-dashboard", action="store_true", help="do not draw dashboard.png")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--quiet", action="store_true", help="print only the output directory")
    run.set_defaults(handler=_run)

    config = commands.add_parser(
        "config",
        help="print a fully resolved config as YAML",
        description=(
            "Print the fully resolved config (the default world, or CONFIG with --set "
            "overrides applied) as YAML, ready to edit and pass to 'socialsim run'."
        ),
    )
    _add_config_arguments(config)
    config.set_defaults(handler=_print_config)
    return parser


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        type=Path,
        metavar="CONFIG",
        help="YAML config file (default: the built-in default world); give it before --set",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "override config values by dotted key, e.g. --set population.n_consumers=5000 "
            "population.tiers.6.share=0.2; VALUE is read as YAML (numbers, true/false, null, "
            "lists); may be repeated"
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``socialsim`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        if args.debug:
            raise
        print(f"socialsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("socialsim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"socialsim: error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _resolve_config(args: argparse.Namespace) -> ModelConfig:
    config = ModelConfig() if args.config is None else load_config(args.config)
    if args.overrides:
        config = config.with_overrides(parse_overrides(args.overrides))
    return config


def _print_config(args: argparse.Namespace) -> int:
    sys.stdout.write(_resolve_config(args).to_yaml())
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here so that 'socialsim --help' and config errors stay fast.
    from socialsim.analysis.dashboard import save_dashboard
    from socialsim.experiment.single_run import (
        OUTPUT_FILES,
        atomic_write,
        existing_outputs,
        run_simulation,
        write_run,
    )

    config = _resolve_config(args)
    if args.seed is not None:
        config = config.with_overrides({"run.seed": args.seed})
    if args.events:
        config = config.with_overrides({"run.record_orders": True})
    if args.out is not None and not args.overwrite:
        # refuse before running, not after: a refusal then costs nothing
        existing = existing_outputs(args.out, (*OUTPUT_FILES, "dashboard.png"))
        if existing:
            raise ConfigError(
                [
                    Problem(
                        "--out",
                        f"{args.out} already holds the outputs of a run ({', '.join(existing)}); "
                        "choose another directory or pass --overwrite",
                    )
                ]
            )
    started = time.perf_counter()
    progress = not (args.no_progress or args.quiet) and sys.stderr.isatty()
    result = run_simulation(config, steps=args.steps, progress=progress)
    out = args.out or _default_out(result.summary["seed"])
    write_run(result, out, overwrite=args.overwrite, events=args.events)
    if not args.no_dashboard:
        title = (
            f"socialsim {__version__}: {result.summary['n_consumers']:,} consumers, "
            f"seed {result.summary['seed']}"
        )
        atomic_write(
            out / "dashboard.png",
            lambda p: save_dashboard(result.steps, p, title=title, image_format="png"),
        )
    if args.quiet:
        print(out)
    else:
        print(_summary_table(result.summary, out, time.perf_counter() - started))
    return 0


def _default_out(seed: int | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{stamp}-seed{seed}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _summary_table(summary: dict, out: Path, seconds: float) -> str:
    aov = summary["average_order_value"]
    rows = [
        ("consumers", f"{summary['n_consumers']:,}"),
        ("days", f"{summary['steps']}"),
        ("seed", f"{summary['seed']}"),
        ("GMV (RMB)", f"{summary['gmv']:,.0f}"),
        ("orders", f"{summary['orders']:,}"),
        ("average order (RMB)", "-" if aov is None else f"{aov:,.1f}"),
        ("customers", f"{summary['customers']:,} ({summary['penetration']:.1%})"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"socialsim {summary['socialsim_version']} (mesa {summary['mesa_version']})"]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    tiers = "  ".join(f"{t} {v:.1%}" for t, v in summary["penetration_by_tier"].items())
    lines.append(f"  {'penetration':<{width}}  {tiers}")
    lines.append(
        f"  {'time':<{width}}  {seconds:.1f} s (build {summary['build_seconds']:.1f} s, "
        f"steps {summary['step_seconds']:.1f} s)"
    )
    lines.append(f"  {'outputs':<{width}}  {out}")
    return "\n".join(lines)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
