"""The files a finished trial keeps (one per :data:`sweep.artifacts.ARTIFACT_KINDS`), written in its folder."""

from __future__ import annotations

import json
import tarfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hls_workers.records import HardwareJob, HardwareResult

#: Build outputs left out of the project archive: compiled emulators, object files, synthesis folders.
_BUILD_SUFFIXES = (".so", ".o")
_BUILD_DIRS = ("build",)


def _is_build_output(relative: Path) -> bool:
    if relative.suffix in _BUILD_SUFFIXES or any(part in _BUILD_DIRS for part in relative.parts):
        return True
    return len(relative.parts) > 0 and relative.parts[0].endswith("_prj")  # <project>_prj: HLS synthesis


def archive_project(project_dir: Path, archive: Path) -> Path:
    """``project_dir`` as a tar.gz (top folder ``hls4ml_prj``) without build outputs."""
    project_dir = Path(project_dir)

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        relative = Path(info.name).relative_to("hls4ml_prj") if info.name != "hls4ml_prj" else Path()
        return None if _is_build_output(relative) else info

    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(project_dir, arcname="hls4ml_prj", filter=keep)
    return archive


def hls4ml_config_record(hardware: HardwareResult, job: HardwareJob) -> dict[str, Any]:
    """The exact hls4ml configuration of a trial: what was given to the converter and what it chose."""
    return {"hls_config": hardware.hls_config, "layer_precisions": hardware.layer_precisions,
            "settings": asdict(job.settings), "reuse_factor": job.reuse_factor, "strategy": job.strategy,
            "logits_layer": job.logits_layer}


def write_trial_files(trial_dir: Path, hardware: HardwareResult, job: HardwareJob, y_test: np.ndarray,
                      task: str, class_names: tuple[str, ...],
                      to_physical: Callable[[np.ndarray], np.ndarray] | None = None) -> dict[str, Path]:
    """Write every artifact of a trial into ``trial_dir``; returns ``{kind: file}``.

    ``to_physical``: regression outputs to physical units (GeV) for the response figure."""
    from sweep.artifacts import write_plotly_page
    from sweep.profile_plot import profile_figure, response_figure, roc_figure

    trial_dir = Path(trial_dir)
    files = {"model": Path(job.model_path), "x_test": Path(job.x_path), "y_test": trial_dir / "y_test.npy"}
    np.save(files["y_test"], y_test)
    files["hls4ml_project"] = archive_project(Path(hardware.project_dir), trial_dir / "hls4ml_project.tar.gz")
    files["hls4ml_config"] = trial_dir / "hls4ml_config.json"
    files["hls4ml_config"].write_text(json.dumps(hls4ml_config_record(hardware, job), indent=1))
    files["hardware_cost"] = trial_dir / "hardware_cost.json"
    files["hardware_cost"].write_text(json.dumps(hardware.resources, indent=1))
    files["profile"] = trial_dir / "profile.html"
    write_plotly_page(profile_figure(hardware.profile), files["profile"])
    if task == "classification":
        files["roc"] = trial_dir / "roc.html"
        roc = roc_figure(y_test, np.load(hardware.y_keras_path), np.load(hardware.y_path), class_names)
        write_plotly_page(roc, files["roc"])
    else:
        convert = to_physical or (lambda y: y)
        files["response"] = trial_dir / "response.html"
        response = response_figure(*(convert(y) for y in (y_test, np.load(hardware.y_keras_path),
                                                             np.load(hardware.y_path))))
        write_plotly_page(response, files["response"])
    return files
