"""``sweep export``: one trial as a folder to take to synthesis — model, hls4ml project, exact config, samples.

Everything comes from the storage and the study's artifact store (any machine that sees both can export).
The folder is built next to ``--out`` and renamed into place at the end: a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import optuna

from sweep.artifacts import fetch_artifact, finished_trial, store_path_of
from sweep.config import StudyConfig
from sweep.design import Design
from sweep.errors import UserError, check_can_write
from sweep.pipeline import make_hardware_job
from sweep.versions import stack_versions

#: Time the re-conversion may take.
EXPORT_TIMEOUT_S = 600.0


def check_out_dir(out: Path) -> None:
    """``--out`` must be creatable, or an empty folder."""
    check_can_write(out, folder=True)
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"{out}: exists and is not empty; give a new or an empty folder")


def exportable_trial(study: optuna.Study, number: int) -> optuna.trial.FrozenTrial:
    """Trial ``number`` if it is COMPLETE with stored artifacts, else a :class:`UserError` saying why not."""
    return finished_trial(study, number, "export")


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def export_trial(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, out: Path) -> list[str]:
    """Write the export of ``trial`` into ``out`` (built in a temporary folder, renamed at the end).
    Returns warnings (e.g. a re-converted configuration that differs from the stored one)."""
    store_path_of(study)
    out = out.absolute()
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=_nearest_existing(out.parent)))
    except OSError as exc:
        raise UserError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    try:
        warnings = _write_export(study, cfg, trial, work, out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.rmdir()  # empty (checked before)
        umask = os.umask(0)
        os.umask(umask)
        work.chmod(0o777 & ~umask)  # mkdtemp made it private
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return warnings


def _write_export(study: optuna.Study, cfg: StudyConfig, trial: optuna.trial.FrozenTrial, work: Path,
                  final: Path) -> list[str]:
    from hls_workers.export import write_project
    from hls_workers.isolation import HardwareStageError, run_isolated

    for kind in ("model", "x_test", "y_test", "hls4ml_config", "hardware_cost"):
        fetch_artifact(study, trial, kind, work)
    design = Design.from_dict(trial.user_attrs["design"])
    job = make_hardware_job(design, cfg, work / "model.h5", work / "x_test.npy", work, cfg.data.task)
    try:
        written = run_isolated(write_project, job, str(final), timeout_s=EXPORT_TIMEOUT_S)
    except HardwareStageError as exc:
        raise UserError(f"trial {trial.number}: cannot re-convert the model with hls4ml: {exc}") from None
    stored = json.loads((work / "hls4ml_config.json").read_text())
    warnings = []
    if stored.get("hls_config") != written["hls_config"]:
        warnings.append(f"the re-converted hls4ml configuration differs from the one trial {trial.number} used "
                        "(another hls4ml version?); hls4ml_config.json holds the trial's")
    attrs = trial.user_attrs
    (work / "versions.json").write_text(json.dumps({
        "trial_versions": attrs.get("versions"), "exported_with": stack_versions(), "seed": attrs.get("seed"),
        "sampler_seed": attrs.get("sampler_seed"), "data_cache_key": attrs.get("data_cache_key")}, indent=1))
    (work / "trial.json").write_text(json.dumps({
        "study": study.study_name, "trial": trial.number, "objectives": study.metric_names,
        "values": trial.values, "design": attrs.get("design"), "metrics": attrs.get("metrics"),
        "hardware_sources": attrs.get("hardware_sources"), "emulator_used": attrs.get("emulator_used")}, indent=1))
    (work / "README.md").write_text(readme(study.study_name, trial, cfg, written["project_name"], warnings))
    return warnings


def synth_command(backend: str) -> str:
    """The shell command that C-synthesizes the exported project (hls4ml 1.3.0's ``build_prj.tcl``)."""
    if backend.lower() == "vivado":
        return ('cd hls4ml_prj && vivado_hls -f build_prj.tcl '
                '"reset=0 csim=0 synth=1 cosim=0 validation=0 export=0 vsynth=0 fifo_opt=0"')
    return ("cd hls4ml_prj && vitis_hls -f build_prj.tcl          # Vitis HLS up to 2023.2\n"
            "cd hls4ml_prj && vitis-run --mode hls --tcl build_prj.tcl   # Vitis 2024.1 and later")


def readme(study_name: str, trial: optuna.trial.FrozenTrial, cfg: StudyConfig, project_name: str,
           warnings: list[str]) -> str:
    """The export's README: what each file is, how to synthesize, how to re-emulate."""
    metrics: dict[str, Any] = trial.user_attrs.get("metrics", {})
    classification = cfg.data.task == "classification"
    metric = "emulated_accuracy" if classification else "emulated_mse"
    score = ("(pred.argmax(1) == y.argmax(1)).mean()" if classification else "((pred - y) ** 2).mean()")
    hls = cfg.hls4ml
    steps = ("`build_opt.tcl` is set to C synthesis only; set `csim`, `cosim`, `vsynth` there for more"
             if hls.backend.lower() == "vitis" else "the steps are the quoted options")
    notes = "".join(f"\n> **Note:** {w}\n" for w in warnings)
    return f"""# Trial {trial.number} of study `{study_name}`
{notes}
| file | what |
|---|---|
| `model.h5` | the trained QKeras model (load with QKeras' custom objects) |
| `hls4ml_prj/` | hls4ml project ({hls.backend}, part `{hls.part}`, {hls.clock_period_ns} ns, `{hls.io_type}`), top function `{project_name}` |
| `hls4ml_config.json` | the exact hls4ml configuration the trial used, and every layer's precisions |
| `hardware_cost.json` | the trial's hardware cost, every value with its source |
| `x_test.npy`, `y_test.npy` | the {len_of(metrics)} samples the trial emulated, and their labels |
| `versions.json` | the stack the trial ran on, its seed |
| `trial.json` | design, metrics and objective values |

## Synthesize

```bash
{synth_command(hls.backend)}
```

({steps}; reports land in `hls4ml_prj/{project_name}_prj/solution1/syn/report/`.)

## Re-emulate (bit-accurate, g++)

```python
import hls4ml
import numpy as np

hls_model = hls4ml.converters.link_existing_project("hls4ml_prj")
hls_model.compile()
x, y = np.load("x_test.npy").astype(np.float32), np.load("y_test.npy")
pred = np.asarray(hls_model.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
print({score})  # the trial's {metric}: {metrics.get(metric)}
```
"""


def len_of(metrics: dict[str, Any]) -> str:
    n = metrics.get("n_emulated")
    return str(int(n)) if n is not None else "test"
