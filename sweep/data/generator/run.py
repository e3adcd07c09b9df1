"""Orchestration: plan chunks, skip finished ones, generate the rest (in parallel), write the manifest."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sweep.data.generator.chunk import KINEMATIC_COLUMNS, ChunkTask, run_chunk
from sweep.data.generator.processes import chunk_seed, class_index, pythia_settings
from sweep.data.generator.substructure import (
    NSUB_R0, PRUNE_RCUT_FACTOR, PRUNE_ZCUT, SD_R0, SD_ZCUT, SUBSTRUCTURE_COLUMNS, TRIM_FCUT, TRIM_R,
)
from sweep.data.generator.writer import chunk_is_complete, read_manifest, write_manifest
from sweep.data.schema import CLASS_NAMES, JET_FEATURES, LABEL_COLUMNS
from sweep.errors import UserError, check_can_write

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: Jet columns the generator never fills (always 0 in its files).
ZERO_COLUMNS: tuple[str, ...] = tuple(
    c for c in JET_FEATURES
    if c not in KINEMATIC_COLUMNS and c not in SUBSTRUCTURE_COLUMNS and c not in LABEL_COLUMNS
)


def plan_chunks(jets_per_class: int, chunk_size: int, classes: Sequence[str], seed: int,
                mpi: bool) -> list[ChunkTask]:
    """Every chunk of the data set; classes interleaved so parallel workers stay balanced."""
    per_class = []
    for cls in classes:
        n_chunks = -(-jets_per_class // chunk_size)
        per_class.append([
            ChunkTask(cls, i, min(chunk_size, jets_per_class - i * chunk_size),
                      chunk_seed(seed, class_index(cls), i), mpi)
            for i in range(n_chunks)
        ])
    return [task for group in zip(*per_class) for task in group]


def _validate(out_dir: Path, jets_per_class: int, chunk_size: int, classes: Sequence[str],
              workers: int) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder")
    if jets_per_class <= 0:
        raise UserError(f"{out_dir}: jets per class must be positive, got {jets_per_class}")
    if chunk_size <= 0:
        raise UserError(f"{out_dir}: chunk size must be positive, got {chunk_size}")
    if workers <= 0:
        raise UserError(f"{out_dir}: workers must be positive, got {workers}")
    if not classes:
        raise UserError(f"{out_dir}: no classes to generate")
    unknown = [c for c in classes if c not in CLASS_NAMES]
    if unknown:
        raise UserError(f"{out_dir}: unknown class {unknown[0]!r}; known: {', '.join(CLASS_NAMES)}")
    if len(set(classes)) != len(classes):
        raise UserError(f"{out_dir}: classes repeat: {', '.join(classes)}")


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("pythia8mc", "fastjet"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def _manifest(args: dict[str, Any], tasks: list[ChunkTask], complete: bool) -> dict[str, Any]:
    return {
        "generator": "sweep.data.generator",
        "complete": complete,
        "args": args,
        "versions": _versions(),
        "pythia_settings": {c: pythia_settings(c, 0, args["mpi"])[:-1] for c in args["classes"]},
        "selection": {"jets": "anti-kT R=0.8, visible final state (Pythia SlowJet with fjcore)",
                      "leading_jet_pt_gev": [800.0, 1200.0], "abs_eta_max": 2.0,
                      "match_delta_r": 0.8},
        "grooming": {"mmdt": {"beta": 0.0, "zcut": SD_ZCUT[0.0], "R0": SD_R0},
                     "sdb2": {"beta": 2.0, "zcut": SD_ZCUT[2.0], "R0": SD_R0},
                     "sdm1": {"beta": -1.0, "zcut": SD_ZCUT[-1.0], "R0": SD_R0},
                     "trim": {"subjet_alg": "kt", "R": TRIM_R, "fcut": TRIM_FCUT},
                     "prun": {"alg": "cambridge", "zcut": PRUNE_ZCUT, "rcut_factor": PRUNE_RCUT_FACTOR}},
        "nsubjettiness": {"axes": "KT_Axes", "measure": "NormalizedMeasure", "R0": NSUB_R0},
        "zero_columns": list(ZERO_COLUMNS),
        "chunks": [{"file": t.filename, "class": t.jet_class, "index": t.index, "n_jets": t.n_jets,
                    "pythia_seed": t.pythia_seed} for t in tasks],
    }


def _parallel_chunks(out_dir: Path, todo: list[ChunkTask], workers: int, bar, bar_task) -> None:
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", n_jobs=min(workers, len(todo)), inner_max_num_threads=1):
        results = Parallel(return_as="generator_unordered")(
            delayed(run_chunk)(out_dir, task) for task in todo)
        for n in results:
            bar.advance(bar_task, n)


def generate_dataset(out_dir: Path, jets_per_class: int, seed: int, workers: int = 1,
                     chunk_size: int = 250, classes: Sequence[str] = CLASS_NAMES, mpi: bool = True,
                     progress: bool = True) -> dict:
    """Generate (or finish) a labelled Pythia jet data set in the hls4ml 150p schema.

    Writes ``jets_<class>_<chunk>.h5`` files and ``generation.json`` into ``out_dir``; chunks already
    there are kept, so an interrupted run resumes. The arrays depend only on (seed, jets_per_class,
    chunk_size, classes, mpi), not on ``workers``.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    start = time.perf_counter()
    out_dir = Path(out_dir)
    classes = list(classes)
    _validate(out_dir, jets_per_class, chunk_size, classes, workers)
    args = {"jets_per_class": jets_per_class, "seed": seed, "chunk_size": chunk_size,
            "classes": classes, "mpi": bool(mpi)}
    previous = read_manifest(out_dir) if out_dir.is_dir() else None
    if previous is not None and previous.get("args") != args:
        raise UserError(f"{out_dir}: holds jets generated with other arguments {previous.get('args')}; "
                        "use another folder or delete it")
    tasks = plan_chunks(jets_per_class, chunk_size, classes, seed, mpi)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # under a file, /proc, no permission: nothing was created
        raise UserError(f"{out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    todo = [t for t in tasks if not chunk_is_complete(out_dir / t.filename, t.n_jets)]
    if todo:
        check_can_write(out_dir, folder=True)  # a complete data set may sit in a read-only folder
        write_manifest(out_dir, _manifest(args, tasks, complete=False))
        for var in _THREAD_VARS:
            os.environ.setdefault(var, "1")
        columns = (TextColumn("generating jets"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, disable=not progress) as bar:
            bar_task = bar.add_task("jets", total=sum(t.n_jets for t in todo))
            if workers == 1 or len(todo) == 1:
                for task in todo:
                    run_chunk(out_dir, task, on_jet=lambda: bar.advance(bar_task))
            else:
                _parallel_chunks(out_dir, todo, workers, bar, bar_task)
    if todo or previous is None or not previous.get("complete"):
        write_manifest(out_dir, _manifest(args, tasks, complete=True))
    per_class = {c: sum(t.n_jets for t in tasks if t.jet_class == c) for c in classes}
    return {
        "out_dir": str(out_dir),
        "n_jets": sum(per_class.values()),
        "per_class": per_class,
        "chunks_written": len(todo),
        "chunks_skipped": len(tasks) - len(todo),
        "seconds": round(time.perf_counter() - start, 3),
    }
