"""Study commands: run, validate, status, pareto."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table

from sweep.cli.workers import trial_line, trial_progress
from sweep.errors import UserError, check_can_write

console = Console(stderr=True)
out = Console()


class ParetoFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


#: Columns left out of terminal tables (they are in --format json/csv).
_WIDE_COLUMNS = {"hls4ml_project", "seed", "objectives", "emulated_auc", "n_params", "sparsity"}

#: Short terminal-table headers (a legend under the table names them in full; json/csv keep the full
#: names): an 80-column terminal must not break a header in the middle of a word.
SHORT_HEADERS = {
    "emulated_accuracy": "acc",
    "keras_accuracy": "keras",
    "accuracy_gap": "gap",
    "agreement": "agree",
    "disagreement": "disagree",
    "emulated_auc": "auc",
    "emulated_mse": "mse",
    "keras_mse": "keras mse",
    "output_gap": "out gap",
    "emulated_resolution_iqr": "res iqr",
    "emulated_resolution_median": "res median",
    "emulated_resolution_bias": "res bias",
    "latency_ns": "lat ns",
    "latency_cycles": "cycles",
    "lut_pct": "lut %",
    "dsp_pct": "dsp %",
    "ff_pct": "ff %",
    "bram_pct": "bram %",
    "n_params": "params",
    "cross_check": "xcheck",
    "synthesis": "synth",
}

#: Long text columns, placed last and wrapped between words.
_LAST_COLUMNS = ("design", "reason")

#: What a record-valued cell (``cross_check``, ``synthesis``) shows: its first present key.
_RECORD_CELLS = {"cross_check": ("bit_exact_fraction", "status"), "synthesis": ("status",)}


#: Width a long text column needs at least to stay beside the numbers (else it gets its own table).
_TEXT_MIN_WIDTH = 24


def _rows_table(title: str, rows: list[dict], width: int = 80) -> RenderableType:
    """Rows as a table that fits ``width`` columns: short headers (a legend under the table spells them
    out), numbers never wrapped, long text (design, reason) last and wrapped between words — or, when the
    numbers leave it too little room, in a second table keyed by trial."""
    table = _plain_table(title)
    if not rows:
        return table
    keys = [k for k in dict.fromkeys(k for row in rows for k in row) if k not in _WIDE_COLUMNS]
    keys.sort(key=lambda k: k in _LAST_COLUMNS)  # long text last: it takes the width the numbers leave
    cells = {k: [_cell(row.get(k), k) for row in rows] for k in keys}
    headers = {k: SHORT_HEADERS.get(k, k.replace("_", " ")) for k in keys}
    short = [k for k in keys if k not in _LAST_COLUMNS]
    used = sum(max(len(headers[k]), *map(len, cells[k])) + 2 for k in short)
    inline = used + _TEXT_MIN_WIDTH <= width or not short or short == keys
    for key in keys if inline else short:
        numeric = all(v is None or isinstance(v, (int, float, dict)) for v in (row.get(key) for row in rows))
        table.add_column(headers[key], no_wrap=numeric, overflow="fold", justify="right" if numeric else "left")
    for index in range(len(rows)):
        table.add_row(*[cells[k][index] for k in (keys if inline else short)])
    legend = [f"{headers[k]} = {k}" for k in keys if headers[k] != k.replace("_", " ")]
    if legend:
        table.caption = "; ".join(legend)
    if inline:
        return table
    text = _plain_table(None)
    key_column = [k for k in short if k == "trial"] or short[:1]
    for key in key_column + [k for k in keys if k in _LAST_COLUMNS]:
        text.add_column(headers[key], no_wrap=key in key_column, overflow="fold",
                        justify="right" if key in key_column else "left")
    for index in range(len(rows)):
        text.add_row(*[cells[k][index] for k in key_column + [k for k in keys if k in _LAST_COLUMNS]])
    return Group(table, text)


def _plain_table(title: str | None) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1), collapse_padding=True,
                 pad_edge=False, caption_justify="left")


def _cell(value: object, key: str = "") -> str:
    if isinstance(value, dict):  # a promotion record: its headline value
        first = next((value[k] for k in _RECORD_CELLS.get(key, ("status",)) if value.get(k) is not None), "")
        return _cell(first)
    if isinstance(value, float):
        if abs(value) >= 1e6:
            return f"{value / 1e6:.3g}M"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.0e}" if 0 < abs(value) < 1e-3 else f"{value:.4g}"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


#: Fidelities a promoted trial can be synthesized with, and the time one synthesis may take.
SYNTH_ESTIMATORS = ("csynth", "vsynth", "yosys")
SYNTH_TIMEOUT_S = 4 * 3600.0


def run(
    study_file: Optional[Path] = typer.Argument(None, help="study YAML; omit to continue a stored study"),
    storage: Optional[str] = typer.Option(None, help="storage URL (default: the study file's)"),
    n_trials: Optional[int] = typer.Option(None, "--n-trials", min=1, help="trials to run now"),
    study_name: Optional[str] = typer.Option(None, "--study-name", help="study name (default: the file's name)"),
    synth_top: int = typer.Option(0, "--synth-top", min=0,
                                  help="afterwards promote the K best Pareto trials, as `sweep synth --top K`"),
    synth_estimator: str = typer.Option("csynth", "--synth-estimator", help="csynth, vsynth or yosys (with --synth-top)"),
    jobs: int = typer.Option(1, "--jobs", min=1, help="local worker processes (each one trial at a time)"),
) -> None:
    """Run (or continue) a study: each trial trains, converts, emulates and scores one design."""
    from sweep.config import load_config
    from sweep.study import stored_config

    if study_file is not None:
        cfg = load_config(study_file)
    elif storage and study_name:
        cfg = stored_config(storage, study_name)
    else:
        raise UserError("give a study file, or --storage and --study-name of a stored study to continue")
    storage_url = storage or cfg.storage
    name = study_name or cfg.name
    _check_synth_estimator(synth_estimator)
    from sweep.storage import (check_reachable, display_url, normalize_url, url_without_password,
                               with_password_from_env)

    if study_file is not None:  # the file may name storage_password_env; a stored study: the URL as given
        storage_url = with_password_from_env(storage_url, cfg.storage_password_env)
    check_reachable(normalize_url(storage_url))  # before any heavy import or data preparation
    try:
        _run(cfg, storage_url, name, n_trials or cfg.n_trials, jobs)
        if synth_top:
            _promote(storage_url, name, synth_top, synth_estimator, SYNTH_TIMEOUT_S)
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are kept in {display_url(storage_url)}; "
                      f"`sweep run --storage {url_without_password(storage_url)} --study-name {name}` continues the study"
                      + (" (password from PGPASSWORD or ~/.pgpass)" if url_without_password(storage_url) != storage_url
                         else ""))
        raise typer.Exit(130) from None


def create(
    study_file: Path = typer.Argument(..., help="study YAML"),
    storage: Optional[str] = typer.Option(None, help="storage URL (default: the study file's)"),
    study_name: Optional[str] = typer.Option(None, "--study-name", help="study name (default: the file's name)"),
) -> None:
    """Create a study without running a trial (its config, artifact store and enqueued designs stored; its
    data prepared into the cache), for `sweep worker` fleets to fill. An existing study is left as it is."""
    from sweep.config import load_config
    from sweep.storage import check_reachable, display_url, normalize_url, with_password_from_env

    cfg = load_config(study_file)
    storage_url = with_password_from_env(storage or cfg.storage, cfg.storage_password_env)
    name = study_name or cfg.name
    check_reachable(normalize_url(storage_url))
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.data.prepare import prepare_data
    from sweep.study import open_study

    console.log(f"preparing data: {cfg.data.source}")
    prepare_data(cfg.data, progress=True)  # built-in data is generated once, here, not by every worker
    study, created = open_study(cfg, storage_url, name)
    console.log(f"study {name!r} {'created' if created else 'already exists'} in {display_url(storage_url)} "
                f"({len(study.trials)} trials); workers join with: sweep worker --storage URL --study-name {name}")


def _run(cfg, storage_url: str, name: str, n_trials: int, jobs: int = 1) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.data.prepare import prepare_data

    console.log(f"preparing data: {cfg.data.source}")
    data = prepare_data(cfg.data, progress=True)
    console.log(f"data: {len(data.x_train)} train / {len(data.x_val)} val / {len(data.x_test)} test, "
                f"input {data.input_shape}, {data.task}: {', '.join(data.target_names)}")

    from sweep.storage import display_url
    from sweep.study import TrialRunner, open_study, run_study

    study, created = open_study(cfg, storage_url, name)
    done_before = len(study.trials)
    console.log(f"study {name!r} {'created' if created else 'continued'} in {display_url(storage_url)} "
                f"({done_before} trials so far); running {n_trials} more")
    console.log(f"artifact store: {study.user_attrs['artifact_store']}")
    artifacts_root = Path(cfg.artifacts_dir) / name
    if jobs > 1:
        _run_workers(study, storage_url, name, n_trials, jobs, artifacts_root)
        _show_front(study, name, artifacts_root)
        return
    with trial_progress() as progress:
        task = progress.add_task("trials", total=n_trials, stage="")

        def stage(number: int, what: str) -> None:
            progress.update(task, stage=f"trial {number}: {what}")

        def trial_end(study, trial) -> None:
            progress.advance(task)
            console.log(trial_line(study, trial))

        runner = TrialRunner(cfg, data, artifacts_root, stage=stage)
        start = time.perf_counter()
        run_study(study, runner, n_trials, on_trial_end=trial_end)
    console.log(f"{n_trials} trials in {time.perf_counter() - start:.0f} s")
    _show_front(study, name, artifacts_root)


def _run_workers(study, storage_url: str, name: str, n_trials: int, jobs: int, artifacts_root: Path) -> None:
    """``--jobs N``: N local worker processes until the study has ``n_trials`` more done trials."""
    from sweep.fleet import start_workers, stop_workers, watch
    from sweep.worker import study_progress

    first = study_progress(study).done
    total = first + n_trials
    log_dir = artifacts_root / "workers"
    workers = start_workers(storage_url, name, jobs, total, log_dir)
    console.log(f"{jobs} worker processes until {total} trials are done; their logs: {log_dir}/worker-<i>.log")
    start = time.perf_counter()
    with trial_progress() as progress:
        task = progress.add_task("trials", total=n_trials, stage="")

        def on_progress(state, alive: int) -> None:
            progress.update(task, completed=min(state.done - first, n_trials),
                            stage=f"{alive} workers, {state.running} running, {state.waiting} waiting")

        try:
            failed = watch(study, workers, on_progress, lambda trial: console.log(trial_line(study, trial)))
        except KeyboardInterrupt:
            stop_workers(workers)
            raise
    for worker in failed:
        console.log(f"worker {worker.index} exited with status {worker.process.returncode}; see {worker.log}")
    state = study_progress(study)
    console.log(f"{state.done - first} trials in {time.perf_counter() - start:.0f} s with {jobs} workers "
                f"({state.retried} retried after a dead worker)")
    if state.done < total:
        console.print(f"the workers stopped with {state.done} of {total} trials done; see {log_dir}")
        raise typer.Exit(1)


def _show_front(study, name: str, artifacts_root: Path) -> None:
    import optuna

    from sweep.report import pareto_rows

    out.print(_rows_table(f"Pareto front of {name!r} ({len(study.trials)} trials)", pareto_rows(study),
                          width=out.width))
    if study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        from sweep.plots import write_pareto_html

        html = write_pareto_html(study, artifacts_root / "pareto_front.html")
        console.log(f"Pareto front plot: {html}")


def validate(study_file: Path = typer.Argument(..., help="study YAML")) -> None:
    """Check a study file without running anything (a local calorimeter-cluster file is read and checked)."""
    from sweep.config import load_config
    from sweep.space import complete_space
    from sweep.storage import display_url

    cfg = load_config(study_file)
    table = Table(title=f"{study_file}: valid study {cfg.name!r}")
    table.add_column("parameter")
    table.add_column("values")
    for key, spec in complete_space(cfg.model.family, cfg.space).items():
        table.add_row(key, spec.model_dump_json(exclude_defaults=True))
    out.print(table)
    password = f" (password from ${cfg.storage_password_env})" if cfg.storage_password_env else ""
    out.print(f"objectives: {', '.join(f'{o.metric} ({o.resolved_direction})' for o in cfg.objectives)}; "
              f"sampler {cfg.sampler.name} (seed {cfg.sampler.seed}); {cfg.n_trials} trials; "
              f"storage {display_url(cfg.storage)}{password}")
    if cfg.data.kind == "calo" and not cfg.data.source.startswith("builtin:"):
        from sweep.data.prepare_calo import check_clusters

        out.print(f"data: {check_clusters(cfg.data)}")


def status(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Studies in a storage: trials by state and Pareto size."""
    from sweep.report import study_status
    from sweep.storage import display_url, open_storage

    rows = study_status(open_storage(storage, create=False))
    if as_json:
        out.print_json(json.dumps(rows))
        return
    out.print(_rows_table(f"studies in {display_url(storage)}", rows, width=out.width))


def pareto(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
           study_name: str = typer.Option(..., "--study-name", help="study name"),
           fmt: ParetoFormat = typer.Option(ParetoFormat.table, "--format", help="table, json or csv")) -> None:
    """The Pareto-optimal trials of a study, with design and metrics."""
    import optuna

    from sweep.report import pareto_rows, rows_as_csv, rows_as_json
    from sweep.storage import display_url, open_storage

    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    except KeyError:
        raise UserError(f"no study {study_name!r} in {display_url(storage)}") from None
    rows = pareto_rows(study)
    if fmt == ParetoFormat.json:
        print(rows_as_json(rows))
    elif fmt == ParetoFormat.csv:
        print(rows_as_csv(rows), end="")
    else:
        out.print(_rows_table(f"Pareto front of {study_name!r} ({len(study.trials)} trials)", rows,
                              width=out.width))


def plot(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
         study_name: str = typer.Option(..., "--study-name", help="study name"),
         output: Path = typer.Option(..., "--out", help="HTML file to write")) -> None:
    """Write the Pareto front of a study as an interactive plotly HTML page."""
    import optuna

    from sweep.plots import write_pareto_html
    from sweep.storage import display_url, open_storage

    if output.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"{output}: the plot is written as HTML; give a .html file")
    check_can_write(output)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    except KeyError:
        raise UserError(f"no study {study_name!r} in {display_url(storage)}") from None
    try:
        out.print(f"wrote {write_pareto_html(study, output)}")
    except OSError as exc:
        raise UserError(f"{output}: cannot write the plot ({exc.strerror or exc})") from None


def synth(storage: str = typer.Option("sqlite:///sweeps.db", help="storage URL"),
          study_name: str = typer.Option(..., "--study-name", help="study name"),
          top: int = typer.Option(3, "--top", min=1, help="promote this many Pareto trials (best first)"),
          estimator: str = typer.Option("csynth", help="csynth, vsynth or yosys"),
          timeout_s: float = typer.Option(SYNTH_TIMEOUT_S, "--timeout-s", min=1, help="per-trial time limit")) -> None:
    """Promote the best Pareto trials: cross-check the numpy emulation against compiled hls4ml, then run
    synthesis (skipped, with the reason, where the tools are absent)."""
    _check_synth_estimator(estimator, option="--estimator")
    _promote(storage, study_name, top, estimator, timeout_s)



def _check_synth_estimator(estimator: str, option: str = "--synth-estimator") -> None:
    if estimator not in SYNTH_ESTIMATORS:
        raise UserError(f"{option}: {estimator!r} is not one of {', '.join(SYNTH_ESTIMATORS)}")


def _promote(storage: str, study_name: str, top: int, estimator: str, timeout_s: float) -> None:
    """Cross-check and synthesize the ``top`` best Pareto trials; print one table."""
    import optuna

    from sweep.promote import cross_check, promoted_trials, synthesize
    from sweep.study import stored_config

    cfg = stored_config(storage, study_name)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweep.storage import open_storage

    study = optuna.load_study(study_name=study_name, storage=open_storage(storage, create=False))
    from sweep.artifacts import store_path_of

    store_path_of(study)  # models and samples come from the artifact store: it must be reachable here
    rows = []
    for trial in promoted_trials(study, top):
        console.log(f"trial {trial.number}: cross-check numpy vs compiled hls4ml …")
        check = cross_check(study, cfg, trial, timeout_s)
        console.log(f"trial {trial.number}: {estimator} …")
        record = synthesize(study, cfg, trial, estimator, timeout_s)
        rows.append({"trial": trial.number, "bit exact": check.get("bit_exact_fraction", check.get("reason")),
                     "status": record["status"],
                     **{k: record.get(k) for k in ("lut", "dsp", "ff", "latency_cycles") if k in record},
                     "reason": record.get("reason", "")})
    out.print(_rows_table(f"{estimator} of the promoted trials of {study_name!r}", rows, width=out.width))


def register_study_commands(app: typer.Typer) -> None:
    for command in (run, create, validate, status, pareto, plot, synth):
        app.command()(command)
