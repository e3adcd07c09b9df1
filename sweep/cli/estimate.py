"""``sweep estimate MODEL.h5 --part P``: LUT/DSP/FF/BRAM/latency of a saved Keras/QKeras model, no Vivado.

Two routes, one conversion (:func:`hls_workers.emulate.convert_with_config`): ``--precision/--reuse/--strategy``
build the config as a trial does; ``--hls-config FILE``/``--hls-project DIR`` use the user's own hls4ml
config (:mod:`sweep.cli.estimate_config`). Registered by the CLI with ``app.command()(estimate)``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sweep.errors import UserError

from hls_workers.cost_metrics import COST_METRICS  # the JSON/table keys, in order
from hls_workers.strategy import STRATEGIES, cost_estimator

#: Longest reason quoted from a library's exception in an error line or note.
REASON_CHARS = 160


def _check_inputs(part: str, precision: str, reuse: int, strategy: str, estimator: str,
                  backend: str = "Vitis", part_source: str = "--part"):
    """Validate everything cheap before TensorFlow is imported; returns (part, precision, estimator)."""
    from hls_workers.estimate import get_estimator
    from hls_workers.fixed_point import PrecisionError, parse_precision
    from hls_workers.parts import lookup_part

    try:
        device = lookup_part(part)
    except ValueError as exc:
        raise UserError(str(exc) if part_source == "--part" else f"{part_source}: {exc} (or give --part)") from None
    try:
        fixed = parse_precision(precision)
    except PrecisionError as exc:
        raise UserError(f"--precision: {exc}") from None
    if reuse < 1:
        raise UserError(f"--reuse must be at least 1, not {reuse}")
    if strategy.lower() not in STRATEGIES:
        raise UserError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    try:
        chosen = get_estimator(estimator)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    ok, reason = chosen.available({"backend": backend})
    if not ok:
        raise UserError(f"estimator {chosen.name} is unavailable here: {reason}")
    return device, fixed, chosen


def _load(model: Path, architecture: Path | None = None):
    from hls_workers.emulate import load_keras_model

    try:
        return load_keras_model(str(model), None if architecture is None else str(architecture))
    except Exception as exc:  # h5py/keras raise many types for a file that is not a model
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if len(reason) > REASON_CHARS:  # Keras quotes a whole model config in some of its messages
            reason = reason[:REASON_CHARS].rstrip() + " …"
        raise UserError(f"{model} is not a Keras/QKeras model: {reason}") from None


def _hls4ml_failure(exc: Exception) -> UserError:
    return UserError(f"hls4ml cannot convert this model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


def _convert(keras_model: Any, job: Any):
    """The trial's converter (:func:`hls_workers.emulate.convert`); a model hls4ml refuses is a user error."""
    from hls_workers.emulate import convert

    try:
        return convert(keras_model, job)[0]
    except Exception as exc:
        raise _hls4ml_failure(exc) from None


def _convert_user_config(keras_model: Any, user: Any, settings: Any, output_dir: str, uncertainty: str | None):
    """The user's hls4ml config merged onto hls4ml's defaults, through the same conversion call."""
    from hls_workers.user_config import ConfigError, merge_with_defaults

    try:
        hls_config = merge_with_defaults(keras_model, user.hls_config, settings.backend)
    except ConfigError as exc:
        raise UserError(f"{user.path}: {exc}") from None
    except Exception as exc:
        raise _hls4ml_failure(exc) from None
    return _convert_with_config(keras_model, hls_config, settings, output_dir, uncertainty)


def _convert_with_config(keras_model: Any, hls_config: dict, settings: Any, output_dir: str,
                         uncertainty: str | None):
    """The conversion call for a given hls4ml config (the user's merged one, or a project's firmware's)."""
    from hls_workers.emulate import convert_with_config

    try:
        return convert_with_config(keras_model, hls_config, settings, output_dir, uncertainty)
    except Exception as exc:
        raise _hls4ml_failure(exc) from None


def estimate_payload(estimate: Any, part: Any, estimator: str, reported: Any = None) -> dict:
    """The JSON object: metrics with their sources, percent of the device, part, estimator, notes, and the
    project's own C-synthesis numbers under ``reported`` when there are any."""
    from hls_workers.parts import percent_of_device

    out: dict[str, Any] = {}
    for key, metric_name in COST_METRICS.items():
        metric = estimate.metric(metric_name)
        out[key] = metric.value
        out[f"{key}_source"] = metric.source
    pct = percent_of_device(estimate, part)
    out.update({f"{k if k != 'bram_18k' else 'bram'}_pct": v for k, v in pct.items()})
    out.update(part=part.name, estimator=estimator, notes=list(estimate.notes))
    if reported is not None:
        out["reported"] = {key: reported.metric(name).value for key, name in COST_METRICS.items()}
        out["reported_source"] = reported.lut.source
    return out


#: Per-layer columns: (JSON key, table header).
LAYER_COLUMNS = (("lut", "LUT"), ("dsp", "DSP"), ("ff", "FF"), ("bram_18k", "BRAM_18K"),
                 ("latency", "latency"), ("ii", "II"))


def per_layer_rows(estimate: Any, instances: list[dict]) -> list[dict]:
    """One row per layer: its cost, its own latency (cycles), and the report instance paired with it
    (``reported``, when the project's report lists one of that kind for each layer)."""
    from hls_workers.estimate.instance_pairing import pair_instances

    layers = [layer for layer in estimate.per_layer if "instance_latency" in layer]  # cost-model layer rows only
    rows = [{"name": layer["name"], "kind": layer["kind"], "lut": layer["lut"], "dsp": layer["dsp"],
             "ff": layer["ff"], "bram_18k": layer["bram_18k"], "latency": layer["instance_latency"],
             "ii": layer["ii"]} for layer in layers]
    by_layer = {id(layer): row for layer, row in zip(layers, rows)}
    for layer, instance in pair_instances(layers, instances):
        by_layer[id(layer)]["reported"] = {
            "instance": instance.get("module", ""), "lut": instance.get("lut"), "dsp": instance.get("dsp"),
            "ff": instance.get("ff"), "bram_18k": instance.get("bram_18k"),
            "latency": instance.get("latency"), "ii": instance.get("interval")}
    return rows


def _print_layers(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    paired = any("reported" in row for row in rows)
    table = Table(title="per layer" + (" (estimate / reported instance)" if paired else ""))
    for header in ("layer", "kind", *(title for _, title in LAYER_COLUMNS)):
        table.add_column(header)
    for row in rows:
        rep = row.get("reported")
        cells = [f"{row[key]:,.0f}" + (f" / {rep[key]:,.0f}" if rep and rep.get(key) is not None else "")
                 for key, _ in LAYER_COLUMNS]
        table.add_row(row["name"], row["kind"], *cells)
    Console().print(table)


def _print_table(payload: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{payload['estimator']} on {payload['part']}")
    reported = payload.get("reported")
    columns = ("metric", "value", "% of device", "source") + (("reported",) if reported else ())
    for column in columns:
        table.add_column(column)
    for key in COST_METRICS:
        pct = payload.get(f"{key}_pct")
        row = [key, _number(key, payload[key]), "" if pct is None else f"{pct:.2f} %", payload[f"{key}_source"]]
        table.add_row(*row, *((_number(key, reported[key]),) if reported else ()))
    console = Console()
    console.print(table)
    for note in payload["notes"]:
        console.print(f"note: {note}")
    if reported:
        console.print(f"reported: the project's own {payload['reported_source']} report")


def _number(key: str, value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}" if key == "latency_ns" else f"{value:,.0f}"


def estimate(
    model: Annotated[Optional[Path], typer.Argument(
        help="saved Keras/QKeras model (.h5); optional when --hls-config/--hls-project names one (MODEL wins)")] = None,
    part: Annotated[Optional[str], typer.Option(
        "--part", help="FPGA part or unique prefix, e.g. xcvu13p (default: the config's Part)")] = None,
    precision: Annotated[Optional[str], typer.Option(
        "--precision", help="fixed-point type of float layers (default ap_fixed<16,6>); not with --hls-config")] = None,
    reuse: Annotated[Optional[int], typer.Option("--reuse", help="reuse factor (default 1); not with --hls-config")] = None,
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", help="latency, resource or distributed_arithmetic (default latency); not with --hls-config")] = None,
    estimator: Annotated[str, typer.Option("--estimator", help="analytic, da4ml, csynth, vsynth, yosys")] = "analytic",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    clock: Annotated[Optional[float], typer.Option(
        "--clock", help="clock period in ns (default: the config's ClockPeriod, else 5)")] = None,
    backend: Annotated[Optional[str], typer.Option(
        "--backend", help="hls4ml backend: Vitis (Vitis HLS) or Vivado (Vivado HLS) (default: the config's, else Vitis)")] = None,
    hls_config: Annotated[Optional[Path], typer.Option(
        "--hls-config", help="your hls4ml config (hls4ml_config.yml or a bare HLSConfig, YAML/JSON): per-layer "
        "Precision, ReuseFactor, Strategy; Part/ClockPeriod/Backend/IOType are used unless given on the command line")] = None,
    hls_project: Annotated[Optional[Path], typer.Option(
        "--hls-project", help="an hls4ml project folder: its hls4ml_config.yml as --hls-config, its model, and its "
        "C-synthesis report (if any) shown as 'reported'")] = None,
    firmware: Annotated[bool, typer.Option(
        "--firmware", help="with --hls-project: cost the project's firmware as written (types, reuse factors, "
        "weights of a Dense network), not a re-conversion of its Keras model")] = False,
    per_layer: Annotated[bool, typer.Option(
        "--per-layer", help="also each layer's LUT, DSP, FF, BRAM, own latency and II; with --hls-project, next to "
        "the report instance of that layer")] = False,
) -> None:
    """Estimate LUT, DSP, FF, BRAM, latency and II of a saved model converted with hls4ml.

    With --hls-config/--hls-project the command line wins over the config for MODEL, part, clock and backend;
    --precision, --reuse and --strategy cannot be combined with a config (set them in its Model section).
    """
    from sweep.cli import estimate_config as ec

    user = ec.read_config(hls_config, hls_project)
    if user is not None:
        ec.refuse_design_flags(precision, reuse, strategy)
    precision = precision or "ap_fixed<16,6>"
    reuse = 1 if reuse is None else reuse
    strategy = strategy or (user.strategy if user else "latency")
    if firmware and (hls_project is None or model is not None):
        raise UserError("--firmware reads an --hls-project's firmware; give --hls-project DIR and no MODEL")
    # Without MODEL, a project whose Keras file is missing or unreadable is rebuilt from its firmware.
    firmware_may_stand_in = hls_project is not None and model is None
    unusable = "asked for with --firmware" if firmware else None  # why the firmware stands in for the model
    model_path = architecture = None
    if unusable is None:
        try:
            model_path, architecture = ec.model_files(model, user)
            if not model_path.is_file():
                raise UserError(f"model file not found: {model_path}")
        except UserError as exc:
            if not firmware_may_stand_in:
                raise
            unusable = str(exc)
    if estimator == "analytic" and strategy.lower() in STRATEGIES:
        estimator = cost_estimator(strategy)  # distributed_arithmetic is costed by da4ml, as in a trial
    where = ec.target(user, part, clock, backend)
    device, fixed, chosen = _check_inputs(where.part, precision, reuse, strategy, estimator, where.backend,
                                         where.part_source)
    keras_model, firmware_config = None, None
    if unusable is None:
        try:
            keras_model = _load(model_path, architecture)
        except UserError as exc:
            if not firmware_may_stand_in:
                raise
            unusable = str(exc)
    if unusable is not None:
        keras_model, firmware_config = ec.firmware_model(hls_project, user, where.backend, unusable)
    from hls_workers.estimate import EstimatorUnavailable
    from hls_workers.records import HardwareJob, HlsSettings

    settings = HlsSettings(backend=where.backend, part=device.name, clock_period_ns=where.clock_period_ns,
                           io_type=where.io_type, input_precision=fixed.hls(), softmax="emulate")
    with tempfile.TemporaryDirectory(prefix="sweep_estimate_") as tmp:
        if user is None:
            # No design: QKeras layers keep their quantizers, float layers get --precision (the trial's builder).
            job = HardwareJob(model_path=str(model_path), x_path="", output_dir=tmp, quantization="ptq",
                              layer_quant={}, settings=settings, reuse_factor=reuse, strategy=strategy.lower(),
                              float_precision=fixed.hls())
            hls_model = _convert(keras_model, job)
        elif firmware_config is not None:
            hls_model = _convert_with_config(keras_model, firmware_config, settings, str(Path(tmp) / "hls4ml_prj"),
                                             ec.clock_uncertainty(user, where))
        else:
            hls_model = _convert_user_config(keras_model, user, settings, str(Path(tmp) / "hls4ml_prj"),
                                             ec.clock_uncertainty(user, where))
        try:
            result = chosen.estimate(hls_model, settings)
        except EstimatorUnavailable as exc:
            raise UserError(str(exc)) from None
    if firmware_config is not None:
        result.notes.insert(0, f"model rebuilt from the project's firmware (types, reuse factors, weights): {unusable}")
    reported, note = (None, None) if user is None else ec.project_reports(user.path.parent, user.project_name)
    if note:
        result.notes.append(note)
    payload = estimate_payload(result, device, chosen.name, reported)
    if per_layer:
        instances = [] if user is None else ec.project_instances(user.path.parent, user.project_name)
        payload["per_layer"] = per_layer_rows(result, instances)
        if not payload["per_layer"]:
            payload["notes"].append(f"{chosen.name} gives no per-layer breakdown")
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        if payload.get("per_layer"):
            _print_layers(payload["per_layer"])
        _print_table(payload)
