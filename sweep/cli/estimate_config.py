"""The ``--hls-config``/``--hls-project`` inputs of ``sweep estimate``: a user's own hls4ml configuration.

Reads and validates the file (:mod:`hls_workers.user_config`), settles the target (the command line wins
over the file), rebuilds a project's network from its firmware when its Keras model is missing or does not
load (:mod:`hls_workers.firmware_network`), and finds a C-synthesis report in the project to print beside
the estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sweep.errors import UserError

BACKENDS = {"vitis": "Vitis", "vivado": "Vivado"}
IO_TYPES = ("io_parallel", "io_stream")


@dataclass(frozen=True)
class Target:
    """Where the model is costed: part, clock, backend, IO type (each from the command line or the config)."""

    part: str
    clock_period_ns: float
    backend: str
    io_type: str = "io_parallel"
    #: Where the part came from, for error messages: ``--part`` or ``<config>: Part``.
    part_source: str = "--part"


def read_config(hls_config: Path | None, hls_project: Path | None) -> Any:
    """The validated :class:`~hls_workers.user_config.UserHlsConfig`, or None when neither option is given."""
    from hls_workers.user_config import ConfigError, find_project_config, read_user_config

    if hls_config is not None and hls_project is not None:
        raise UserError("give --hls-config or --hls-project, not both")
    if hls_config is None and hls_project is None:
        return None
    try:
        return read_user_config(find_project_config(hls_project) if hls_project is not None else hls_config)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def refuse_design_flags(precision: str | None, reuse: int | None, strategy: str | None) -> None:
    """--precision/--reuse/--strategy describe the whole model; a config describes it layer by layer."""
    given = [flag for flag, value in (("--precision", precision), ("--reuse", reuse), ("--strategy", strategy))
             if value is not None]
    if given:
        raise UserError(f"{'/'.join(given)} cannot be combined with --hls-config/--hls-project: set Precision, "
                        "ReuseFactor and Strategy in the config's Model (or LayerName) section instead")


def target(user: Any, part: str | None, clock: float | None, backend: str | None) -> Target:
    """Part, clock, backend and IO type: the command line first, then the config, then the defaults."""
    part_source = "--part" if part or user is None else f"{user.path}: Part"
    part = part or (user.part if user else None)
    if not part:
        raise UserError("--part is required (the hls4ml config names no Part)" if user else "--part is required")
    clock = clock if clock is not None else (user.clock_period_ns if user and user.clock_period_ns else 5.0)
    if clock <= 0:
        raise UserError(f"--clock must be positive, not {clock}")
    source = "--backend"
    if backend is None and user is not None and user.backend:
        backend, source = user.backend, f"{user.path}: Backend"
    backend = backend or "Vitis"
    if backend.lower() not in BACKENDS:
        raise UserError(f"{source}: {backend!r} is not one of Vitis, Vivado")
    io_type = (user.io_type if user else None) or "io_parallel"
    if io_type not in IO_TYPES:
        raise UserError(f"{user.path}: IOType {io_type!r} is not one of {', '.join(IO_TYPES)}")
    return Target(part, float(clock), BACKENDS[backend.lower()], io_type, part_source)


def clock_uncertainty(user: Any, where: Target) -> str | None:
    """The config's ClockUncertainty (else the ``set clock_uncertainty`` of the project's ``project.tcl``, what
    its build used), unless --backend changed the backend it was written for."""
    written_for = BACKENDS.get((user.backend or where.backend).lower())
    if written_for != where.backend:
        return None
    return user.clock_uncertainty or _project_tcl_uncertainty(user.path.parent / "project.tcl")


def _project_tcl_uncertainty(tcl: Path) -> str | None:
    if not tcl.is_file():
        return None
    match = re.search(r"^\s*set\s+clock_uncertainty\s+\"?([\d.]+%?)\"?", tcl.read_text(errors="replace"), re.M)
    return match.group(1) if match else None


def model_files(model: Path | None, user: Any) -> tuple[Path, Path | None]:
    """(model or weights file, architecture JSON or None): the MODEL argument wins over the config's path."""
    from hls_workers.user_config import ConfigError

    if model is not None:
        return model, None
    if user is None:
        raise UserError("give a MODEL file (.h5), or --hls-config/--hls-project naming one")
    try:
        path = user.model_path()
        if path is None:
            raise UserError(f"{user.path}: names no KerasModel/KerasH5; give the model file as the MODEL argument")
        return path, user.json_path()
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def firmware_model(project_dir: Path, user: Any, backend: str, unusable: str) -> tuple[Any, dict]:
    """(Keras model, hls4ml config) rebuilt from the project's firmware, when its Keras model is ``unusable``."""
    from hls_workers.firmware_network import (FirmwareError, build_keras_model, hls_config, read_firmware,
                                              read_weights)

    try:
        description = read_firmware(project_dir, user.project_name)
        keras_model = build_keras_model(description, read_weights(Path(project_dir) / "firmware" / "weights",
                                                                   description))
    except FirmwareError as exc:
        raise UserError(f"{unusable}; the project's firmware cannot stand in for it: {exc}") from None
    return keras_model, hls_config(description, keras_model, backend)


def project_reports(project_dir: Path, project_name: str) -> tuple[Any, str | None]:
    """(csynth ResourceEstimate or None, a note): the project's C-synthesis report when it has one (the
    ``.xml`` through hls4ml's parser, else the ``.rpt`` text)."""
    from hls_workers.estimate.csynth_text import ReportTextError, text_report_estimate
    from hls_workers.estimate.reports import ReportError, read_reports

    report_dir = project_dir / f"{project_name}_prj" / "solution1" / "syn" / "report"
    xml, rpt = (report_dir / f"{project_name}_csynth.{ext}" for ext in ("xml", "rpt"))
    try:
        if xml.is_file():
            return read_reports(project_dir).get("csynth"), None
        if rpt.is_file():
            return text_report_estimate(rpt.read_text(errors="replace")), None
    except (ReportError, ReportTextError) as exc:
        return None, f"C-synthesis report present but not readable: {exc}"
    return None, None


def project_instances(project_dir: Path, project_name: str) -> list[dict]:
    """The instance rows (module, LUT, DSP, FF, latency, …) of the project's ``<name>_csynth.rpt``; empty
    when it has none or it cannot be read (the totals note says so)."""
    from hls_workers.estimate.csynth_text import ReportTextError, parse_csynth_rpt

    rpt = project_dir / f"{project_name}_prj" / "solution1" / "syn" / "report" / f"{project_name}_csynth.rpt"
    try:
        return parse_csynth_rpt(rpt.read_text(errors="replace"))["instances"] if rpt.is_file() else []
    except ReportTextError:
        return []
