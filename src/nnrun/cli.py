"""The `nnrun` command line: parse arguments, call one function, turn problems into one line and an exit code.

Only Typer and Rich are imported here; everything heavier is imported inside the command that needs it.
"""

from __future__ import annotations

import functools
import gc
import io
import json
import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

try:  # Typer >= 0.29 carries its own copy of Click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - a Typer that uses Click itself again
    from click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from nnrun import __version__
from nnrun.errors import EXIT_DIVERGED, EXIT_FAILED, EXIT_INTERRUPTED, NnrunError, first_line


class OneLineErrors(TyperGroup):
    """nnrun's commands, whose usage errors (a missing argument, an unknown option, a value of the wrong type)
    are one `error:` line and exit code 2, like every other bad input, instead of Click's usage block."""

    def main(self, args=None, *rest, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(args, *rest, standalone_mode=False, **kwargs)
        try:
            code = super().main(args, *rest, standalone_mode=False, **kwargs)  # an Exit's code, or None
        except NoArgsIsHelpError as e:  # plain `nnrun`: the help, as Typer shows it
            from typer import rich_utils

            rich_utils.rich_format_error(e)
            sys.exit(e.exit_code)
        except ClickException as e:
            _err(escape(usage_error(e, list(sys.argv[1:] if args is None else args), self.commands)))
            sys.exit(e.exit_code)
        except typer.Abort:
            _err("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


def usage_error(e: ClickException, args: list[str], commands: dict) -> str:
    """'nnrun kfold: Invalid value for '--k' / '-k': ... (got 'two'); usage: nnrun kfold [OPTIONS] {CONFIG}'."""
    message = e.format_message().rstrip(".")
    errors = getattr(e.__cause__, "errors", None)  # Typer checks option values with pydantic, which keeps the input
    if callable(errors):
        value = (errors() or [{}])[0].get("input")
        if value is not None and str(value) not in message:
            message += f" (got {value!r})"
    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        return f"{ctx.command_path}: {message}; usage: {ctx.get_usage().removeprefix('Usage: ')}"
    command = next((a for a in args if a in commands), None)  # some parser errors carry no context
    return f"nnrun {command}: {message}; see nnrun {command} --help" if command else f"nnrun: {message}"


app = typer.Typer(
    cls=OneLineErrors,
    name="nnrun",
    help="Run Keras neural-network experiments from YAML files, and compare them.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
state = {"debug": bool(os.environ.get("NNRUN_DEBUG"))}

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY.PATH=VALUE",
        help="Override a config key, e.g. --set epochs=50 --set 'layers[0].units=16' (repeatable; "
        "quote keys with brackets for zsh).",
    ),
]
ConfigArg = Annotated[
    Path, typer.Argument(metavar="CONFIG", help="The experiment's YAML config file.", show_default=False)
]


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class Backend(str, Enum):
    jax = "jax"
    tensorflow = "tensorflow"
    torch = "torch"


DeviceOption = Annotated[Device, typer.Option("--device", help="auto (a GPU when one is visible), cpu or gpu.")]


def _err(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}", markup=True)


def _loading(what: str) -> None:
    """The first line after Enter, before the seconds-long imports (pandas, Keras and its backend): on standard
    error, so that standard output stays what a pipe expects (predict's CSV, check's YAML), and only when that
    is a terminal, where someone waits for it (a log or a script gets the same lines as before)."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if console.is_terminal:
        console.print(f"loading {what}...", style="dim")


def handles_errors(command):
    """Print NnrunErrors as one line and exit with their code; show tracebacks only with --debug."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NnrunError as e:
            if state["debug"]:
                traceback.print_exc()
            for line in str(e).splitlines():
                _err(escape(line))
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nnrun {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks for errors.")] = False,
) -> None:
    """Run Keras neural-network experiments from YAML files, and compare them."""
    state["debug"] = debug or bool(os.environ.get("NNRUN_DEBUG"))


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display; errors and the result only.")]
BackendOption = Annotated[Backend | None, typer.Option("--backend", help="The Keras backend (overrides the config's).")]
SmokeOption = Annotated[
    bool,
    typer.Option(
        "--smoke",
        help="One epoch on a few batches: checks the whole pipeline "
        "in seconds; the run folder is discarded unless --runs-dir is given.",
    ),
]
RunsDirOption = Annotated[Path | None, typer.Option("--runs-dir", help="Where run folders go (default: runs).")]


@app.command()
@handles_errors
def train(
    config: ConfigArg,
    set_: SetOption = None,
    quiet: QuietOption = False,
    device: DeviceOption = Device.auto,
    backend: BackendOption = None,
    smoke: SmokeOption = False,
    runs_dir: RunsDirOption = None,
) -> None:
    """Train the model a config describes and write a run folder."""
    from nnrun import api

    spec = api._load(config, list(set_ or []) + ([f"backend={backend.value}"] if backend else []))
    _run("train", spec, runs_dir, device.value, quiet, smoke)


@app.command()
@handles_errors
def kfold(
    config: ConfigArg,
    k: Annotated[int | None, typer.Option("--k", "-k", help="Number of folds (overrides kfold.k).")] = None,
    set_: SetOption = None,
    quiet: QuietOption = False,
    device: DeviceOption = Device.auto,
    backend: BackendOption = None,
    smoke: SmokeOption = False,
    runs_dir: RunsDirOption = None,
) -> None:
    """K-fold cross-validation: a run per fold, the mean and std over the folds, and the refit on every
    training row when kfold.refit is set."""
    from nnrun import api
    from nnrun.errors import ConfigError

    overrides = list(set_ or []) + ([f"backend={backend.value}"] if backend else [])
    spec = api._load(config, overrides + ([(f"kfold.k={k}", f"--k {k}")] if k is not None else []))
    if spec.kfold is None:
        raise ConfigError(
            f"{config}: kfold: missing; add `kfold: 5` (the number of folds) to the config, or pass --k 5"
        )
    _run("kfold", spec, runs_dir, device.value, quiet, smoke)


def _run(command: str, spec, runs_dir: Path | None, device: str, quiet: bool, smoke: bool) -> None:
    """Run `train` or `kfold` and report; a --smoke run without --runs-dir goes to a temporary folder."""
    if smoke and runs_dir is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="nnrun-smoke-") as tmp:
            outcome = _execute(command, spec, Path(tmp), device, quiet, smoke, keep=False)
            files = sorted(p.name for p in outcome.run_dir.iterdir())
            typer.echo(
                f"smoke test passed: {spec.name} trained 1 epoch{' per fold' if command == 'kfold' else ''} "
                f"and wrote {', '.join(files)}"
            )
        return
    _execute(command, spec, runs_dir or Path("runs"), device, quiet, smoke)


def _execute(command: str, spec, runs_dir: Path, device: str, quiet: bool, smoke: bool, keep: bool = True):
    """Run through the API, then render its Outcome: the result tables, the folder, the warnings, and for a
    run that did not complete one error line and its exit code. `keep` is False for a --smoke run in a
    temporary folder (its path is not shown)."""
    if not quiet:
        _loading(f"the data and keras with {spec.backend}")
    from nnrun import api, pipeline
    from nnrun.engine.options import Options

    console = Console(highlight=False)
    on_fold = None
    if command == "kfold":

        def on_fold(fold):
            from nnrun.views.report import fold_line

            console.print(fold_line(fold, spec.kfold.k), highlight=False, soft_wrap=True)

    options = Options(runs_dir=runs_dir, device=device, quiet=quiet, smoke=smoke, console=console, on_fold=on_fold)
    outcome = api._outcome(lambda: (pipeline.kfold if command == "kfold" else pipeline.train)(spec, options), options)
    error = outcome.error
    if error is not None:  # failed, or stopped at once by a second Ctrl-C: the folder says which, when there is one
        if state["debug"] and not isinstance(error, KeyboardInterrupt):
            traceback.print_exception(error)
        folder = outcome.run_dir if keep else None
        where = f" in {outcome.stopped_in}" if outcome.stopped_in else ""
        if isinstance(error, KeyboardInterrupt):
            _err(escape(f"interrupted{where}" + (f"; what was done is kept in {folder}" if folder else "")))
            raise typer.Exit(EXIT_INTERRUPTED)
        detail = f"; traceback in {folder / 'error.txt'}" if folder else "; run with --debug for the traceback"
        _err(escape(f"run failed{where}: {type(error).__name__}: {first_line(error)}{detail}"))
        raise typer.Exit(EXIT_FAILED)
    from nnrun.views.report import kfold_table, train_table

    for part in (kfold_table if command == "kfold" else train_table)(outcome.metrics):
        console.print(part, highlight=False, soft_wrap=True)
    if keep:
        console.print(f"run folder: {outcome.run_dir}", highlight=False, soft_wrap=True)
    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    if outcome.status in ("interrupted", "diverged"):
        from nnrun.views.report import stop_message

        _err(escape(stop_message(outcome.metrics)))
        raise typer.Exit(EXIT_INTERRUPTED if outcome.status == "interrupted" else EXIT_DIVERGED)
    return outcome


@app.command()
@handles_errors
def check(
    config: ConfigArg,
    set_: SetOption = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also load the data and build the model (imports Keras): "
            "checks the data, the layer shapes, the output layer against the loss and the "
            "classes, and the metrics against the target values.",
        ),
    ] = False,
    device: DeviceOption = Device.cpu,
) -> None:
    """Validate a config and print it resolved, every default filled. Trains nothing, writes nothing."""
    from nnrun import api
    from nnrun.config.yamlfile import dump_yaml

    spec = api.check(config, list(set_ or []))
    summary = None
    if deep:
        _loading(f"the data and keras with {spec.backend}")
        from nnrun.engine.options import Options
        from nnrun.pipeline import prepare
        from nnrun.views.report import params_text

        ready = prepare(spec, Options(device=device.value, console=Console(stderr=True, highlight=False)))
        from nnrun.engine.model import param_counts  # imports Keras: only once prepare has chosen the backend

        arrays = ready.arrays
        sizes = ", ".join(
            f"{len(a)} {n}"
            for a, n in ((arrays.x_train, "train"), (arrays.x_val, "validation"), (arrays.x_test, "test"))
            if a is not None
        )
        summary = (
            f"# data: {sizes} rows, input shape {tuple(arrays.preprocess.input_shape)}, task "
            f"{arrays.preprocess.task}; model: {params_text(*param_counts(ready.model))}; output fits the loss"
        )
    typer.echo(
        f"# {config}: valid{' (data loaded, model built)' if deep else ''}. Resolved config (every default filled):"
    )
    typer.echo(dump_yaml(spec.resolved()).rstrip())
    if summary:
        typer.echo(summary)
    else:  # what plain check, which reads neither the data nor Keras, leaves out
        typer.echo(
            "# not checked without --deep: the data, the layer shapes, the output layer against the loss and "
            "the classes, and the metrics against the target values"
        )


@app.command()
@handles_errors
def sweep(
    sweep_file: Annotated[
        Path | None,
        typer.Argument(metavar="SWEEP", help="The sweep's YAML file (not with --resume).", show_default=False),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            metavar="KEY.PATH=VALUE",
            help="Override a sweep key, e.g. --set trials=20 --set "
            "'parameters.batch_size.values=[16,32]' (repeatable); the base config's keys are set in the sweep file's "
            "parameters ({value: X} for a constant).",
        ),
    ] = None,
    trials: Annotated[int | None, typer.Option("--trials", min=1, help="Trials to run (overrides trials).")] = None,
    parallel: Annotated[
        int | None, typer.Option("--parallel", min=1, help="Trials at once on this machine (overrides parallel).")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="FOLDER",
            help="Continue the stopped sweep "
            "in this sweep folder: finished trials are kept, interrupted ones "
            "run again.",
        ),
    ] = None,
    quiet: QuietOption = False,
    device: DeviceOption = Device.auto,
    runs_dir: RunsDirOption = None,
) -> None:
    """Search hyperparameters: run trials of a base config with values Optuna proposes (grid, random or
    tpe), each a run folder in the sweep's folder, and keep the best."""
    from nnrun.errors import ConfigError

    overrides = list(set_ or []) + [
        (f"{key}={value}", f"--{key} {value}")
        for key, value in (("trials", trials), ("parallel", parallel))
        if value is not None
    ]
    if (sweep_file is None) == (resume is None):
        raise ConfigError(
            "nnrun sweep: give a sweep file, or --resume FOLDER (one of the two); "
            "usage: nnrun sweep SWEEP.yaml [--set KEY=VALUE] [--trials N] [--parallel N]"
        )
    if not quiet:
        _loading("the sweep file and optuna")
    from nnrun.sweep import run
    from nnrun.sweep.driver import Progress
    from nnrun.views.sweep_progress import SweepProgress, end_report

    console = Console(highlight=False)
    shown: dict = {}

    def announce(sweep, folder):
        shown["progress"] = SweepProgress(console, sweep.metric.name, sweep.trials, sweep.parallel, quiet)
        shown["sweep"] = sweep
        what = f"{sweep.base.kfold.k}-fold cross-validation" if sweep.score == "kfold" else "train run"
        trials = f"{sweep.trials} trial{'s' if sweep.trials != 1 else ''}"
        console.print(
            f"{sweep.name}: {sweep.method} search, {trials} (a {what} each) of "
            f"{sweep.config_path.name}, scored by {sweep.metric.name} ({sweep.metric.goal}), "
            f"{sweep.parallel} at a time; sweep folder {folder}",
            highlight=False,
            soft_wrap=True,
        )

    def relay(name):
        return lambda *args: getattr(shown["progress"], name)(*args)

    progress = Progress(
        trial_started=relay("trial_started"),
        trial_finished=relay("trial_finished"),
        tick=relay("tick"),
        stopping=relay("stopping"),
    )
    try:
        if resume is not None:
            result = run.resume(resume, overrides, device.value, progress, announce=announce)
        else:
            result = run.start(
                sweep_file, overrides, runs_dir or Path("runs"), device.value, progress, announce=announce
            )
    finally:
        if "progress" in shown:
            shown["progress"].close()
    end_report(console, result, shown["sweep"].metric.name, shown["sweep"].metric.goal, result.folder)
    if result.status == "interrupted":
        _err(escape(f"interrupted; the finished trials are kept: resume with nnrun sweep --resume {result.folder}"))
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.status == "failed":
        _err(escape(result.message))
        raise typer.Exit(EXIT_FAILED)


@app.command()
def schema() -> None:
    """Print the config's JSON Schema (for editor completion and checking)."""
    from nnrun.config.json_schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command()
@handles_errors
def predict(
    run: Annotated[
        Path,
        typer.Argument(metavar="RUN", help="A run folder (a k-fold run uses its final/ model).", show_default=False),
    ],
    csv: Annotated[
        Path,
        typer.Argument(
            metavar="CSV", help="A CSV of rows to predict, with or without the target column.", show_default=False
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write predictions here (CSV) instead of standard output.")
    ] = None,
    device: DeviceOption = Device.auto,
) -> None:
    """Predict new rows with a trained run's preprocessing and model."""
    _loading(f"the model with keras on {_saved_backend(run)}")
    from nnrun import api
    from nnrun.engine.predict import write_csv

    result = api.predict(run, csv, device=device.value)
    text = write_csv(result.table, output)
    if text is not None:
        sys.stdout.write(text)
    err = Console(stderr=True, highlight=False)
    if output is not None:
        err.print(f"wrote {result.rows} predictions to {output}", soft_wrap=True)
    if result.score:
        err.print("score on the input's target column: " + ", ".join(f"{k} {v:.4f}" for k, v in result.score.items()))


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@app.command()
@handles_errors
def compare(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="RUNS",
            help="Run folders, folders of runs, or glob patterns (default: every run under runs/).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Sort by this column; scores best first (loss, mse, mae, error: lower; accuracy, auc: higher).",
        ),
    ] = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the sort order.")] = False,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="KEY<OP>VALUE",
            help="Keep runs where "
            "the condition holds (=, !=, <, <=, >, >=), on a column or config key, e.g. status=completed, "
            "test_accuracy>0.7, optimizer.learning_rate=0.01 (repeatable).",
        ),
    ] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Only the first N runs (after sorting).")] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            "--metrics", help="Score columns to show, comma-separated: accuracy (test_ and val_), val_mae, ..."
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every config key as a column, not only those that differ.")
    ] = False,
    transpose: Annotated[
        bool | None,
        typer.Option(
            "--transpose/--no-transpose",
            help="One column per run, one row per key (default: when that fits the terminal better).",
            show_default=False,
        ),
    ] = None,
    format_: Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or markdown.")] = Format.table,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            metavar="METRIC",
            help="Plot this metric's curves over epochs, one line per run (needs -o FILE.png).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of standard output (the PNG of --plot)."),
    ] = None,
) -> None:
    """One table across runs: the config values that differ, and the scores. A sweep folder alone: its trials,
    best first; among other runs: its best trial."""
    from nnrun.runs.record import find_runs, read_runs
    from nnrun.views import compare as cmp
    from nnrun.views import sweep as sweeps

    paths = find_runs(list(runs or []))
    sweep_dir = sweeps.named_sweep(list(runs or []), paths)
    sweep = None
    if sweep_dir is not None:
        from nnrun.runs.sweep_record import read_sweep

        sweep = read_sweep(sweep_dir)
        records = sweeps.trial_records(sweep)
    else:
        records = sweeps.best_trials(read_runs(paths))
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for record in records:
        if record.warning:
            err.print(f"[yellow]warning:[/] {escape(str(record.path))}: {escape(record.warning)}")
    if sweep is not None and not records:
        err.print(f"{escape(sweeps.heading(sweep))}\nno trial has been recorded yet")
        return
    if not records:
        err.print(f"no runs found{' under runs/' if not runs else ''}; `nnrun train CONFIG` makes one")
        return
    chosen_metrics = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    if sweep is not None:
        table = sweeps.compare_trials(
            sweep, records, filters=list(filter_ or []), sort=sort, reverse=reverse, top=top, metrics=chosen_metrics
        )
    else:
        table = cmp.select(
            records,
            filters=list(filter_ or []),
            sort=sort,
            reverse=reverse,
            top=top,
            show_all=show_all,
            metrics=chosen_metrics,
        )
    if plot:
        from nnrun.errors import RunError
        from nnrun.views.plots import overlay_png

        if output is None:
            raise RunError("--plot needs -o FILE.png: where to write the plot")
        kept = {row["run"] for row in table.rows}
        chosen = [r for r in records if r.name in kept]
        # labelled by the settings that differ between the runs that have the curve
        plotted = overlay_png(
            chosen, plot, output, labels=lambda shown: cmp.label_items(cmp.compare(shown, show_all=show_all), shown)
        )
        missing = f" ({len(chosen) - plotted} without that curve)" if plotted < len(chosen) else ""
        err.print(f"wrote {escape(str(output))}: {plot} of {plotted} run{'s' if plotted != 1 else ''}{missing}")
        return
    # The table fitted to the terminal, or in a pipe to $COLUMNS (else PIPE_WIDTH), while it renders quickly
    # (Rich spends ~1 ms a row); plain text otherwise.
    if format_ is Format.table and len(table.rows) <= 200:
        width = _pipe_width(to_file=output is not None)
        console = (
            Console(highlight=False, width=width, color_system=None, file=io.StringIO() if output else None)
            if width
            else Console(highlight=False)
        )
        short: list[str] = []
        if sweep is not None:
            console.print(escape(sweeps.heading(sweep)), soft_wrap=True)
            table, short = sweeps.shortened(table)
        for part in cmp.render(table, console.width, transpose=transpose):
            console.print(part)
        if short:
            console.print(escape(sweeps.shortened_note(short)), soft_wrap=True)
        if not output:
            return
        text = console.file.getvalue()
    elif format_ is Format.table:  # a long table: plain aligned text, at its natural width
        text = (cmp.shared_line(table) + "\n" if table.shared else "") + cmp.to_text(table, transpose=bool(transpose))
        if sweep is not None:
            text = sweeps.heading(sweep) + "\n" + text
    else:
        text = {Format.csv: cmp.to_csv, Format.json: cmp.to_json, Format.markdown: cmp.to_markdown}[format_](table)
    if output:
        from nnrun.runs.folder import atomic_write

        atomic_write(output, text)
    else:
        sys.stdout.write(text)


@app.command()
@handles_errors
def show(
    run: Annotated[Path, typer.Argument(metavar="RUN", help="A run folder, or a sweep folder.", show_default=False)],
) -> None:
    """One run: status, scores, best epoch, config and files. A sweep folder: its state, best trial, top five."""
    from nnrun.runs.record import read_run
    from nnrun.runs.sweep_record import is_sweep_folder

    console = _wide_console()
    folder = _run_folder(run)
    if is_sweep_folder(folder):
        from nnrun.runs.sweep_record import read_sweep
        from nnrun.views.sweep import show_sweep

        parts = show_sweep(read_sweep(folder))
    else:
        from nnrun.views.show import show_run

        parts = show_run(read_run(folder))
    for part in parts:
        console.print(part)  # wrapped between words on a terminal (a warning line runs long); a pipe gets 1,000 columns


@app.command()
@handles_errors
def diff(
    run_a: Annotated[Path, typer.Argument(metavar="RUN_A", help="The first run folder.", show_default=False)],
    run_b: Annotated[Path, typer.Argument(metavar="RUN_B", help="The second run folder.", show_default=False)],
) -> None:
    """Two runs side by side: the config keys that changed (old -> new) and the scores with their difference."""
    from nnrun.runs.record import read_run
    from nnrun.views.show import diff_runs

    console = _wide_console()
    runs = [read_run(_not_a_sweep(_run_folder(run), "diff")) for run in (run_a, run_b)]
    for part in diff_runs(*runs):
        console.print(part, soft_wrap=True)


class ListFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
def datasets(
    format_: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = ListFormat.table,
) -> None:
    """Every dataset nnrun knows by name: what to write in a config, its task and size, where it comes from,
    and whether it is already on this machine."""
    import dataclasses

    from nnrun.config.catalog import data_dir, entries, keras_cache
    from nnrun.views.report import datasets_table

    known = entries()
    if format_ is ListFormat.json:
        typer.echo(json.dumps([dataclasses.asdict(e) for e in known], indent=2))
        return
    # On a terminal its width; in a pipe COLUMNS when set, else the table at its natural width.
    width = None if not sys.stdout.isatty() and not os.environ.get("COLUMNS") else _pipe_width()
    console = Console(highlight=False, width=width) if width else _wide_console()
    table = datasets_table(known, width=console.width if width or sys.stdout.isatty() else None)
    console.print(table)
    if "from" not in [column.header for column in table.columns]:
        console.print(
            "where each comes from: `nnrun datasets --format json` (origin), or a wider terminal", soft_wrap=True
        )
    moved = "set by NNRUN_DATA_DIR" if os.environ.get("NNRUN_DATA_DIR") else "set NNRUN_DATA_DIR to move it"
    keras_moved = "set by KERAS_HOME" if os.environ.get("KERAS_HOME") else "set KERAS_HOME to move it"
    console.print(
        f"registry files are kept in {escape(str(data_dir().resolve()))} ({moved}); Keras's in "
        f"{escape(str(keras_cache()))} ({keras_moved}); both are downloaded on first use",
        soft_wrap=True,
    )
    for e in known:
        if e.problem:
            console.print(f"not usable: {escape(e.problem)}", soft_wrap=True)


PIPE_WIDTH = 120  # what a table piped to a pager or a file is fitted to when COLUMNS does not say


def _pipe_width(*, to_file: bool = False) -> int | None:
    """None on a terminal (Rich asks it, and reads COLUMNS); in a pipe or a file, COLUMNS when it is a number,
    else PIPE_WIDTH."""
    if sys.stdout.isatty() and not to_file:
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPE_WIDTH


def _wide_console() -> Console:
    """On a terminal, its width; in a pipe or file, long values and tables at their natural width."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 1000)


def _saved_backend(run: Path) -> str:
    """The backend a run trained with (its env.json, or its refit's), for the line predict starts with."""
    for folder in (run, run / "final"):
        try:
            return str(json.loads((folder / "env.json").read_text(encoding="utf-8"))["backend"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "its backend"


def _run_folder(path: Path) -> Path:
    from nnrun.errors import RunError
    from nnrun.runs.record import is_run_folder

    if not path.is_dir():
        raise RunError(f"{path}: no such run folder")
    if not is_run_folder(path):
        raise RunError(f"{path}: not a run folder (no metrics.json, config.yaml or history.csv in it)")
    return path


def _not_a_sweep(path: Path, command: str) -> Path:
    """`diff` compares two runs: a sweep folder is refused with what to do instead."""
    from nnrun.errors import RunError
    from nnrun.runs.sweep_record import is_sweep_folder

    if is_sweep_folder(path):
        raise RunError(
            f"{path}: a sweep folder; nnrun {command} compares two runs: give two of its trials "
            f"({path / 'trials'}/NNNN), or list them all with nnrun compare {path}"
        )
    return path


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="nnrun")
    finally:
        # The process is ending: its objects need no more cycle collection. Python's shutdown otherwise walks the
        # millions of objects Keras and jax hold, looking for cycles: about 1 s after a training run's last output
        # (2 s on a busy machine). Everything still gets its atexit handlers and is closed; only the searching stops.
        gc.freeze()


if __name__ == "__main__":
    main()
