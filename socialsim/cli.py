"""The ``socialsim`` command.

``socialsim run`` runs one simulation and writes its outputs; ``socialsim
config`` prints a fully resolved config to start a YAML file from; ``socialsim
sweep`` runs an experiment spec into a resumable sweep store, ``socialsim
status`` reports on one and ``socialsim rerun`` reproduces one of its runs and
checks it against the stored one; ``socialsim calibrate`` fits a calibration
spec's free parameters to its targets, ``socialsim optimize`` searches a
platform's levers for the strategies that do best; ``socialsim report`` turns
a sweep or a run's directory into a self-contained HTML report, ``socialsim
compare`` sets a sweep's arms against a baseline arm and ``socialsim viz``
serves the interactive page. Errors in configs, specs and arguments are
reported in one or two lines, without a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from socialsim._version import __version__
from socialsim.config.loading import load_config, parse_overrides
from socialsim.config.schema import ModelConfig
from socialsim.errors import ConfigError, Problem, SocialsimError, SweepBusyError

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2
EXIT_FAILURE = 1
_INT64_MAX = 2**63 - 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors take two lines, not a usage block.

    ``socialsim COMMAND: error: MESSAGE`` and where to look for help, the same
    shape as the command's other errors; an unknown option is blamed on the
    command it was given to, not on ``socialsim``.
    """

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # argparse collects a subcommand's leftovers and reports them at the top level
            (_command_parser(self, parsed) or self).error(
                f"unrecognized arguments: {' '.join(extras)}"
            )
        return parsed

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    for action in parser._actions:  # argparse keeps subcommands in a private list
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(getattr(args, action.dest, None))
    return None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``socialsim`` command."""
    parser = _Parser(
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run one simulation and write its outputs",
        description=(
            "Run one simulation. With no arguments, runs the built-in default world "
            "(50,000 consumers, 90 days) from a fresh seed, which is recorded. Writes "
            "steps.parquet (per-step metrics), platforms.parquet (per-step, per-platform "
            "metrics), tiers.parquet (per-step, per-tier metrics), summary.json (totals, "
            "seed, config hash, versions, timings), "
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
        help="print a fully resolved config as YAML, or explain a key",
        description=(
            "Print the fully resolved config (the default world, or CONFIG with --set "
            "overrides applied) as YAML, ready to edit and pass to 'socialsim run'. With "
            "--explain KEY, describe one key instead: its meaning, type, unit, value in that "
            "world, bounds and source; a section or a table lists its keys."
        ),
    )
    _add_config_arguments(config)
    config.add_argument(
        "--explain",
        metavar="KEY",
        help="describe a key by its dotted path, e.g. platforms.pinduoduo.group_buying.discount "
        "or population.tiers.3.share (a table's rows as TIER, PLATFORM, ... for every row), "
        "or list the keys of a section, e.g. population",
    )
    config.set_defaults(handler=_print_config)

    sweep = commands.add_parser(
        "sweep",
        help="run an experiment spec (a sweep of many runs) into a resumable store",
        description=(
            "Run the experiment SPEC (a YAML file: base world, design, replications, root "
            "seed) and record every run in the sweep directory as it finishes: manifest.json "
            "and Parquet tables runs/, steps/ and those the spec keeps. Running the same "
            "command again resumes: finished runs are skipped. A different spec pointed at "
            "an existing sweep is refused. Exits 1 if any run is recorded as failed."
        ),
    )
    sweep.add_argument("spec", type=Path, metavar="SPEC", help="experiment spec (YAML)")
    sweep.add_argument(
        "--variant",
        metavar="NAME",
        help="apply a variant of the spec, e.g. 'quick' (the shipped experiments' short form)",
    )
    sweep.add_argument(
        "--out", type=Path, metavar="DIR", help="sweep directory (default: sweeps/NAME[-VARIANT])"
    )
    sweep.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        help="serial (this process), process (local worker processes) or dask "
        "(default: the spec's execution.executor, else process)",
    )
    sweep.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes for process and a local dask cluster (default: usable cores)",
    )
    sweep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask; "
        "without it, dask starts a local cluster)",
    )
    sweep.add_argument(
        "--batch-runs",
        type=_positive_int,
        default=1,
        metavar="K",
        help="run up to K replications of a design point together as one batched ensemble "
        "(serial and process executors): the same tables for less CPU (default: 1, one by one)",
    )
    sweep.add_argument(
        "--retry-failed",
        action="store_true",
        help="run again the runs an earlier session recorded as failed",
    )
    sweep.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the spec and show what would run, without running anything",
    )
    sweep.add_argument("--no-progress", action="store_true", help="hide progress")
    sweep.set_defaults(handler=_sweep)

    calibrate = commands.add_parser(
        "calibrate",
        help="fit a calibration spec's free parameters to its targets (ABC-SMC or Optuna)",
        description=(
            "Fit the free parameters of the calibration SPEC (a YAML file: base world, "
            "parameters with bounds, targets with their sources, method) by ABC-SMC (pyabc) "
            "or a quick point fit (Optuna TPE), and write posterior.parquet, calibrated.yaml "
            "(a config 'socialsim run' takes), summary.json and report.html into DIR. "
            "Running the same command again resumes a killed calibration; a different spec "
            "pointed at the same directory is refused."
        ),
    )
    _add_candidate_arguments(calibrate, "calibration spec (YAML)", "calibrations/NAME")
    calibrate.set_defaults(handler=_calibrate)

    optimize = commands.add_parser(
        "optimize",
        help="search a platform's levers for the best strategies (Optuna TPE or NSGA-II)",
        description=(
            "Search the levers of the strategy-search SPEC (a YAML file: base world, levers "
            "with bounds or choices, objectives with a direction, constraints) with Optuna: "
            "TPE for one objective, NSGA-II for several. Every evaluation runs the spec's "
            "replications with common random numbers. Writes trials.parquet, the Pareto front "
            "(front.parquet, front.png) and a config per front point (front/) into DIR. "
            "Running the same command again resumes; a different spec is refused."
        ),
    )
    _add_candidate_arguments(optimize, "strategy-search spec (YAML)", "searches/NAME")
    optimize.set_defaults(handler=_optimize)

    status = commands.add_parser(
        "status",
        help="show a sweep's progress and check its store",
        description=(
            "Show a sweep's progress (runs done, failed and pending, sessions, failures) and "
            "check every part of its store against its run's receipt (sizes, row counts, "
            "checksums), naming each damaged or foreign part and the command that repairs "
            "the store. Exits 1 if any part is damaged or foreign."
        ),
    )
    status.add_argument("directory", type=Path, metavar="DIR", help="a sweep directory")
    status.set_defaults(handler=_status)

    rerun = commands.add_parser(
        "rerun",
        help="run one run of a sweep again and check it matches the stored one",
        description=(
            "Rebuild one run's config from the sweep's manifest (checking it hashes to the "
            "run's id), run it again in this process and compare every table the sweep kept "
            "for it with the stored one, bit for bit. Exits 0 if it matches, 1 if not, "
            "listing the differences. With --out, also writes the run's resolved config "
            "(config.yaml: 'socialsim run' on it gives the same numbers) and the new tables."
        ),
    )
    rerun.add_argument("directory", type=Path, metavar="DIR", help="a sweep directory")
    rerun.add_argument(
        "run_id", metavar="RUN_ID", help="the run's id (or a unique prefix of 4+ characters)"
    )
    rerun.add_argument(
        "--out", type=Path, metavar="DIR", help="write the run's config.yaml and new tables here"
    )
    rerun.set_defaults(handler=_rerun)

    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report of a sweep or a run",
        description=(
            "Write one HTML file (figures embedded, no server or network needed) describing "
            "a sweep directory or a run's output directory: what was run, means and "
            "confidence intervals across replications, figures and, for sobol and morris "
            "designs, sensitivity indices. Prints the report's path."
        ),
    )
    report.add_argument(
        "directory", type=Path, metavar="DIR", help="a sweep directory or a run's output directory"
    )
    report.add_argument(
        "--out", type=Path, metavar="FILE", help="the HTML file to write (default: DIR/report.html)"
    )
    report.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        metavar="NAME",
        help="an outcome to summarise and plot (default: gmv, orders, penetration, ...); "
        "may be repeated",
    )
    report.set_defaults(handler=_report)

    compare = commands.add_parser(
        "compare",
        help="compare a sweep's arms with a baseline arm: differences and their intervals",
        description=(
            "Per outcome, the difference of every arm (design point) to a baseline arm with "
            "its 95 % Student-t interval, the relative change and n: paired by replication "
            "when the sweep used common random numbers (the default for scenarios), Welch's "
            "unpaired interval otherwise, and a warning under 3 replications. Prints the "
            "table and writes compare.parquet, compare.csv and compare.png (a forest plot)."
        ),
    )
    compare.add_argument("directory", type=Path, metavar="DIR", help="a sweep directory")
    compare.add_argument(
        "--baseline",
        metavar="ARM",
        help="a scenario name or a point number (default: the scenario 'baseline' if there "
        "is one, else point 0's arm)",
    )
    compare.add_argument(
        "--outcomes",
        nargs="+",
        metavar="NAME",
        help="runs-table outcomes to compare (default: the spec's outcomes, else gmv, "
        "orders, penetration, average_order_value and each platform's GMV share)",
    )
    compare.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where to write the table and figure (default: the sweep directory)",
    )
    compare.set_defaults(handler=_compare)

    viz = commands.add_parser(
        "viz",
        help="serve the interactive page (Mesa SolaraViz) in a browser",
        description=(
            "Serve the interactive page: controls for consumers, platforms, the group discount, "
            "the feed, KOL commission and the seed; live charts of GMV, penetration by tier and "
            "GMV by channel; a sample of the social graph coloured by consumer state. Starts "
            "from CONFIG (with --set overrides) or the default world at 5,000 consumers. "
            "Stop it with Ctrl-C."
        ),
    )
    _add_config_arguments(viz)
    viz.add_argument(
        "--port", type=_non_negative_int, default=8765, help="port to serve on (default: 8765)"
    )
    viz.add_argument(
        "--host",
        default="localhost",
        help="address to listen on (default: localhost; 0.0.0.0 to reach it from other machines)",
    )
    viz.add_argument(
        "--no-browser", action="store_true", help="do not open a browser tab, just serve"
    )
    viz.set_defaults(handler=_viz)

    validate = commands.add_parser(
        "validate",
        help="dock the model and check it against calibration targets and held-out facts",
        description=(
            "Run the docking checks (the model reduced by config to the Bass model, the "
            "Independent Cascade and network Bass, against theory, and the vectorised "
            "decision path against the per-agent reference), the stylized facts and the "
            "market checks on the default world (or CONFIG); write a Markdown report with "
            "figures to --out and print two sections: calibration targets (each with the "
            "parameters tuned to reach it) and held-out checks (used to tune nothing). "
            "Exit status: 0 if every check passed, 1 if any failed, 2 for a bad config or "
            "argument (nothing is run)."
        ),
    )
    _add_config_arguments(validate)
    validate.add_argument(
        "--quick", action="store_true", help="smaller runs: a few minutes on two cores"
    )
    validate.add_argument(
        "--out",
        type=Path,
        default=Path("validation"),
        metavar="DIR",
        help="report directory (default: ./validation)",
    )
    validate.add_argument(
        "--seed", type=_non_negative_int, default=1, help="root seed of every run (default: 1)"
    )
    validate.add_argument(
        "--posterior",
        metavar="DIR",
        help="draw each replication of the fact and market worlds from a calibration's "
        "posterior: 'default' (the default world's shipped calibration record; the default "
        "without CONFIG or --set), 'none' (every replication at the config's own values; "
        "the default with them), or a 'socialsim calibrate' output directory",
    )
    validate.set_defaults(handler=_validate)
    return parser


def _add_candidate_arguments(parser: argparse.ArgumentParser, spec: str, out: str) -> None:
    """Add the arguments ``calibrate`` and ``optimize`` share: SPEC, where and how to run."""
    parser.add_argument("spec", type=Path, metavar="SPEC", help=spec)
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help=f"output directory (default: {out})"
    )
    parser.add_argument(
        "--variant", metavar="NAME", help="apply a variant of the spec, e.g. 'quick'"
    )
    parser.add_argument(
        "--executor",
        choices=("serial", "process", "dask"),
        help="where simulations run (default: the spec's execution.executor, else process)",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes for process and a local dask cluster (default: usable cores)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="address of a Dask scheduler (implies dask)"
    )
    parser.add_argument(
        "--batch-runs",
        type=_positive_int,
        default=1,
        metavar="K",
        help="simulate up to K replications of a candidate together as one batched ensemble "
        "(serial and process executors): the same outcomes for less CPU (default: 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress")


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
    except (ConfigError, SweepBusyError) as exc:
        if args.debug:
            raise
        print(f"socialsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("socialsim: interrupted", file=sys.stderr)
        return 130
    except SocialsimError as exc:
        # the message names what went wrong and what to do: no class name, no traceback
        if args.debug:
            raise
        print(f"socialsim: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
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
    config = _resolve_config(args)
    if args.explain is not None:
        from socialsim.config.reference import explain

        where = "in the default world" if args.config is None else f"in {args.config}"
        if args.overrides:
            where += " with --set"
        print(explain(args.explain, config, where))
        return 0
    sys.stdout.write(config.to_yaml())
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here so that 'socialsim --help' and config errors stay fast.
    from socialsim.analysis.dashboard import save_dashboard
    from socialsim.experiment.single_run import (
        OUTPUT_FILES,
        OutputWriteError,
        estimate_output_bytes,
        existing_outputs,
        prepare_output,
        run_simulation,
        write_run,
    )
    from socialsim.model import fresh_seed
    from socialsim.world.memory import check_memory

    config = _resolve_config(args)
    overrides: dict[str, Any] = {}
    if args.seed is not None:
        overrides["run.seed"] = args.seed
    if args.steps is not None:
        overrides["run.steps"] = args.steps
    if args.events:
        overrides["run.record_orders"] = True
    if overrides:
        config = config.with_overrides(overrides)
    if config.run.seed is None:
        # drawn now, not by the model, so the default output directory is known (and checked)
        # before anything runs
        config = config.with_overrides({"run.seed": fresh_seed()})
    names = (*OUTPUT_FILES, *(() if args.no_dashboard else ("dashboard.png",)))
    if args.out is not None and not args.overwrite:
        # refuse before running, not after: a refusal then costs nothing
        existing = existing_outputs(args.out, names)
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
    check_memory(config)  # before the directory is made: a refused run leaves nothing behind
    out = args.out or _default_out(config.run.seed)
    created = prepare_output(out, needed_bytes=estimate_output_bytes(config, events=args.events))
    started = time.perf_counter()
    progress = not (args.no_progress or args.quiet) and sys.stderr.isatty()
    try:
        result = run_simulation(config, progress=progress)
    except BaseException:
        if created:  # the directory this command made, still empty: leave nothing behind
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    extra = {}
    if not args.no_dashboard:
        title = (
            f"socialsim {__version__}: {result.summary['n_consumers']:,} consumers, "
            f"seed {result.summary['seed']}"
        )
        extra["dashboard.png"] = lambda p: save_dashboard(
            result.steps, p, title=title, image_format="png"
        )
    try:
        write_run(result, out, overwrite=args.overwrite, events=args.events, extra=extra)
    except OutputWriteError as exc:
        if args.debug:
            raise
        print(f"socialsim: error: {exc}", file=sys.stderr)
        print(_summary_table(result.summary, None, time.perf_counter() - started))
        return EXIT_FAILURE
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


def _summary_table(summary: dict, out: Path | None, seconds: float) -> str:
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
    channel = summary.get("export_channel")
    if channel is not None:
        rows.append(
            (
                "exports",
                f"{summary['export_orders']:,} orders, RMB {summary['export_gmv']:,.0f} "
                f"through {channel}",
            )
        )
    width = max(len(k) for k, _ in rows)
    lines = [f"socialsim {summary['socialsim_version']} (mesa {summary['mesa_version']})"]
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    tiers = "  ".join(f"{t} {v:.1%}" for t, v in summary["penetration_by_tier"].items())
    lines.append(f"  {'penetration':<{width}}  {tiers}")
    lines.append(
        f"  {'time':<{width}}  {seconds:.1f} s (build {summary['build_seconds']:.1f} s, "
        f"steps {summary['step_seconds']:.1f} s)"
    )
    lines.append(f"  {'outputs':<{width}}  {out if out is not None else 'not saved'}")
    return "\n".join(lines)


def _sweep(args: argparse.Namespace) -> int:
    from socialsim.experiment.spec import load_spec
    from socialsim.experiment.sweep import (
        check_sweep,
        default_out,
        run_sweep,
    )

    spec = load_spec(args.spec, variant=args.variant)
    if args.scheduler is not None and args.executor not in (None, "dask"):
        raise ConfigError([Problem("--scheduler", f"needs --executor dask, not {args.executor}")])
    out = args.out or default_out(spec)
    if args.dry_run:
        setup = check_sweep(
            args.spec,
            out,
            variant=args.variant,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            retry_failed=args.retry_failed,
        )
        for warning in setup.warnings:
            print(warning, file=sys.stderr)
        growth = setup.growth_text()
        if growth is not None:
            print(growth.replace("extending", "would extend", 1))
        print(_dry_run_text(setup))
        return 0
    try:
        summary = run_sweep(
            args.spec,
            variant=args.variant,
            out=out,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            retry_failed=args.retry_failed,
            progress=False if args.no_progress else None,
            batch_runs=args.batch_runs,
        )
    except KeyboardInterrupt:
        print(
            f"socialsim: sweep interrupted; the runs finished so far are saved in {out}. "
            "Run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    print(summary)
    for run_id, error in summary.failures[:5]:
        print(f"  failed {run_id}: {error}")
    if len(summary.failures) > 5:
        print(f"  ... and {len(summary.failures) - 5} more: socialsim status {out}")
    if summary.lost:
        run_id, error = summary.lost[0]
        print(
            f"socialsim: error: {len(summary.lost)} run(s) were lost, not failed (run {run_id}: "
            f"{error}); they are left pending: run the same command again to run them, "
            "perhaps with fewer --workers",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    failed = _count_failed(out)
    if failed:
        print(
            f"{failed} run(s) of this sweep are recorded as failed; see 'socialsim status "
            f"{out}', and rerun with --retry-failed once fixed"
        )
        return EXIT_FAILURE
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from socialsim.calibration.run import calibrate

    return _run_candidates(calibrate, args, "calibration")


def _optimize(args: argparse.Namespace) -> int:
    from socialsim.strategy.search import search

    return _run_candidates(search, args, "search")


def _run_candidates(run: Any, args: argparse.Namespace, what: str) -> int:
    """Run a calibration or a search from its command line; print what it found."""
    try:
        result = run(
            args.spec,
            out=args.out,
            variant=args.variant,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            command="socialsim " + " ".join(sys.argv[1:]),
            batch_runs=args.batch_runs,
        )
    except KeyboardInterrupt:
        print(
            f"socialsim: {what} interrupted; what finished is saved. Run the same command "
            "again to resume.",
            file=sys.stderr,
        )
        return 130
    print(result)
    return 0


def _dry_run_text(setup: Any) -> str:
    """Describe what a sweep would do, for ``--dry-run``."""
    spec, plan = setup.spec, setup.plan
    runs = len(plan.runs)
    done = runs - setup.pending
    where = f"{setup.executor}"
    if setup.scheduler is not None:
        where += f" at {setup.scheduler}"
    elif setup.workers is not None and setup.executor != "serial":
        where += f" with {setup.workers} worker{'s' * (setup.workers != 1)}"
    memory = ""
    if setup.memory is not None:
        memory = f"; the largest world needs {setup.memory.brief} of memory"
    elif plan.largest_world is not None:
        memory = "; the cluster's workers check the memory of their worlds"
    recorded = f" ({done} already recorded in {setup.out})" if done else ""
    repair = ""
    if setup.problems:
        runs = len({p.run_id for p in setup.problems if p.run_id is not None})
        repair = (
            f"; first, {len(setup.problems)} damaged or foreign part(s) would be set aside "
            f"into {setup.out / 'damaged'}, and the {runs} run(s) they belong to are among "
            f"those to run ('socialsim status {setup.out}' lists them)"
        )
    return (
        f"{spec.name}{'' if spec.variant is None else f' (variant {spec.variant})'}: "
        f"{spec.design.kind} design, {spec.design.size()} points x "
        f"{spec.replications} replications = {runs} runs of "
        f"{plan.base.population.n_consumers:,} consumers x {plan.base.run.steps} days"
        f"{memory}; spec is valid; would run {setup.pending} run"
        f"{'s' * (setup.pending != 1)}{recorded} on {where}; would write to {setup.out}"
        f"{repair}"
    )


def _count_failed(out: Path) -> int:
    from socialsim.experiment.store import SweepStore

    return sum(status == "failed" for status in SweepStore(out).finished().values())


def _status(args: argparse.Namespace) -> int:
    from socialsim.experiment.status import sweep_status

    status = sweep_status(args.directory)
    print(status)
    return 0 if status.sound else EXIT_FAILURE


def _rerun(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from socialsim.experiment.rerun import rerun
    from socialsim.files import atomic_write

    if args.out is not None:
        from socialsim.experiment.single_run import prepare_output

        prepare_output(args.out)  # before the run: a run that cannot be saved is not run
    report = rerun(args.directory, args.run_id)
    print(report)
    if args.out is not None:
        text = report.config.to_yaml()
        atomic_write(args.out / "config.yaml", lambda p: p.write_text(text, encoding="utf-8"))
        for name, table in report.output.tables.items():
            atomic_write(args.out / f"{name}.parquet", lambda p, t=table: pq.write_table(t, p))
        print(f"wrote the run's config.yaml and tables to {args.out}")
    return 0 if report.matches else EXIT_FAILURE


def _report(args: argparse.Namespace) -> int:
    from socialsim.analysis.report import build_report

    print(build_report(args.directory, args.out, outcomes=args.outcomes))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from socialsim.analysis.compare import compare_arms

    try:
        comparison = compare_arms(args.directory, args.baseline, args.outcomes)
    except ConfigError as exc:
        # name the options, not the function's arguments
        options = {"baseline": "--baseline", "outcomes": "--outcomes"}
        problems = [
            Problem(
                options.get(p.path.partition(".")[0], p.path),
                p.rule,
                *((p.value,) if p.has_value else ()),
            )
            for p in exc.problems
        ]
        raise ConfigError(problems, exc.source) from None
    print(comparison)
    paths = comparison.write(args.directory if args.out is None else args.out)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _viz(args: argparse.Namespace) -> int:
    import os
    import tempfile

    from solara.__main__ import cli as solara_cli

    from socialsim.analysis.viz import CONFIG_ENV

    with tempfile.TemporaryDirectory(prefix="socialsim-viz-") as scratch:
        os.environ.pop(CONFIG_ENV, None)
        if args.config is not None or args.overrides:
            # Validated here, before the server starts; the page reads the resolved world.
            path = Path(scratch) / "config.yaml"
            path.write_text(_resolve_config(args).to_yaml(), encoding="utf-8")
            os.environ[CONFIG_ENV] = str(path)
        command = ["run", "socialsim.analysis.viz", "--port", str(args.port)]
        command += ["--host", args.host, "--production"]
        command += ["--no-open"] if args.no_browser else ["--open"]
        print(f"socialsim: serving the page at http://{args.host}:{args.port} (Ctrl-C stops it)")
        # Solara's own command, in this process: uvicorn stops cleanly on Ctrl-C or SIGTERM.
        solara_cli(command, standalone_mode=False)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from socialsim.experiment.single_run import prepare_output
    from socialsim.validation.report import validate

    base = _resolve_config(args)
    posterior = _posterior(args)
    prepare_output(args.out)  # before hours of runs: a report that cannot be written is refused
    report = validate(
        args.out,
        base=base,
        quick=args.quick,
        seed=args.seed,
        progress=sys.stderr.isatty(),
        posterior=posterior,
    )
    print(_validation_text(report))
    return 0 if report.passed else EXIT_FAILURE


def _posterior(args: argparse.Namespace) -> Any:
    """Return the calibration record validate draws its worlds from, or None."""
    from socialsim.calibration.record import default_record, load_record

    choice = args.posterior
    if choice is None:
        choice = "default" if args.config is None and not args.overrides else "none"
    if choice == "none":
        return None
    if choice == "default":
        return default_record()
    directory = Path(choice)
    if not (directory / "posterior.parquet").exists() or not (directory / "summary.json").exists():
        raise ConfigError(
            [
                Problem(
                    "--posterior",
                    "must be 'default', 'none' or a 'socialsim calibrate' output directory "
                    "(with posterior.parquet and summary.json)",
                    choice,
                )
            ]
        )
    return load_record(directory)


def _validation_text(report: Any) -> str:
    """Return the two sections of ``socialsim validate`` as aligned text, and a summary."""
    from socialsim.validation.checks import Kind
    from socialsim.validation.report import SECTIONS

    name_width = max(len(f"{c.area}: {c.name}") for c in report.checks)
    band_width = min(max(len(_short_band(c)) for c in report.checks), 24)
    lines = []
    for kind, heading, meaning in SECTIONS:
        mine = report.section(kind)
        passed = sum(c.passed for c in mine)
        lines += [f"{heading} ({passed} of {len(mine)} passed)", f"  {meaning}"]
        columns = f"  {'result':<6}  {'check':<{name_width}}  {'value':>10}  {'band':<{band_width}}"
        columns += "  tuned; source" if kind == Kind.CALIBRATION else "  source"
        lines.append(columns)
        for c in mine:
            verdict = "pass" if c.passed else "FAIL"
            where = f"{c.area}: {c.name}"
            row = f"  {verdict:<6}  {where:<{name_width}}  {c.value:10.4g}  "
            row += f"{_short_band(c):<{band_width}}  "
            row += f"{', '.join(c.tuned)}; {c.source}" if c.tuned else c.source
            lines.append(row)
        lines.append("")
    total = sum(c.passed for c in report.checks)
    lines.append(
        f"socialsim: {total} of {len(report.checks)} checks passed in {report.seconds:.0f} s "
        f"({report.cpu_seconds:.0f} s CPU); report: {report.directory / 'report.md'}"
    )
    return "\n".join(lines)


def _short_band(check: Any) -> str:
    """Return the band's numbers, without the words that follow a colon."""
    return check.band.split(":")[0].split(" (")[0]


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    shown = text if len(text) <= 40 else f"{text[:20]}...({len(text):,} characters)"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {shown!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {shown}")
    if value > _INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be at most {_INT64_MAX} (2**63 - 1), got {shown}")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
