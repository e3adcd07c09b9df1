"""Write a ready-to-synthesize hls4ml project for a saved model (the trial's converter and configuration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hls_workers.emulate import _jsonable, convert, layer_precisions, load_keras_model
from hls_workers.records import HardwareJob

#: hls4ml 1.3.0's Vitis ``build_prj.tcl`` reads its steps from ``build_opt.tcl`` (Vivado's takes them as
#: arguments): C synthesis only, no C simulation (it would need test bench data).
SYNTH_ONLY_OPTIONS = {"reset": 0, "csim": 0, "synth": 1, "cosim": 0, "validation": 0, "export": 0, "vsynth": 0,
                      "fifo_opt": 0}


def _relocate(project: Path, final_project: str) -> None:
    """hls4ml records its output folder in ``hls4ml_config.yml``; point it at where the project will live."""
    for name in ("hls4ml_config.yml",):
        path = project / name
        if path.is_file():
            path.write_text(path.read_text().replace(str(project), final_project))


def _synth_only(project: Path) -> None:
    lines = "".join(f"    {key:<10} {value}\n" for key, value in SYNTH_ONLY_OPTIONS.items())
    (project / "build_opt.tcl").write_text(f"array set opt {{\n{lines}}}\n")


def write_project(job: HardwareJob, final_dir: str) -> dict[str, Any]:
    """Convert ``job``'s model into ``<output_dir>/hls4ml_prj`` and ``write()`` it, set up to C-synthesize
    (``build_prj.tcl``) once moved to ``<final_dir>/hls4ml_prj``. Returns the hls4ml config used, the
    layer precisions and the project name."""
    model = load_keras_model(job.model_path)
    hls_model, hls_config = convert(model, job)
    hls_model.write()
    project = Path(job.output_dir) / "hls4ml_prj"
    _relocate(project, str(Path(final_dir) / "hls4ml_prj"))
    if job.settings.backend.lower() == "vitis":
        _synth_only(project)
    return {"hls_config": _jsonable(hls_config), "layer_precisions": layer_precisions(hls_model),
            "project_name": hls_model.config.get_project_name()}
