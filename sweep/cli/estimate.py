"""``sweep estimate MODEL.h5 --part P``: LUT/DSP/FF/BRAM/latency of a saved Keras/QKeras model, no Vivado.

Registered by the CLI with ``app.command()(estimate)``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from sweep.errors import UserError

from hls_workers.cost_metrics import COST_METRICS  # the JSON/table keys, in order
from hls_workers.strategy import STRATEGIES, cost_estimator


def _check_inputs(model: Path, part: str, precision: str, reuse: int, strategy: str, estimator: str,
                  backend: str = "Vitis"):
    """Validate everything cheap before TensorFlow is imported; returns (part, precision, estimator)."""
    from hls_workers.estimate import get_estimator
    from hls_workers.fixed_point import PrecisionError, parse_precision
    from hls_workers.parts import lookup_part

    if not model.is_file():
        raise UserError(f"model file not found: {model}")
    try:
        device = lookup_part(part)
    except ValueError as exc:
        raise UserError(str(exc)) from None
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


def _load(model: Path):
    from hls_workers.emulate import load_keras_model

    try:
        return load_keras_model(str(model))
    except Exception as exc:  # h5py/keras raise many types for a file that is not a model
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{model} is not a Keras/QKeras model: {reason}") from None


def _convert(keras_model: Any, job: Any):
    """The trial's converter (:func:`hls_workers.emulate.convert`); a model hls4ml refuses is a user error."""
    from hls_workers.emulate import convert

    try:
        return convert(keras_model, job)[0]
    except Exception as exc:
        raise UserError(f"hls4ml cannot convert this model: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


def estimate_payload(estimate: Any, part: Any, estimator: str) -> dict:
    """The JSON object: metrics with their sources, percent of the device, part, estimator, notes."""
    from hls_workers.parts import percent_of_device

    out: dict[str, Any] = {}
    for key, metric_name in COST_METRICS.items():
        metric = estimate.metric(metric_name)
        out[key] = metric.value
        out[f"{key}_source"] = metric.source
    pct = percent_of_device(estimate, part)
    out.update({f"{k if k != 'bram_18k' else 'bram'}_pct": v for k, v in pct.items()})
    out.update(part=part.name, estimator=estimator, notes=list(estimate.notes))
    return out


def _print_table(payload: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{payload['estimator']} on {payload['part']}")
    for column in ("metric", "value", "% of device", "source"):
        table.add_column(column)
    for key in COST_METRICS:
        value = payload[key]
        pct = payload.get(f"{key}_pct")
        table.add_row(key, "n/a" if value is None else f"{value:,.0f}" if key != "latency_ns" else f"{value:.1f}",
                      "" if pct is None else f"{pct:.2f} %", payload[f"{key}_source"])
    console = Console()
    console.print(table)
    for note in payload["notes"]:
        console.print(f"note: {note}")


def estimate(
    model: Annotated[Path, typer.Argument(help="saved Keras/QKeras model (.h5)")],
    part: Annotated[str, typer.Option("--part", help="FPGA part or unique prefix, e.g. xcvu13p")],
    precision: Annotated[str, typer.Option("--precision", help="fixed-point type of float layers")] = "ap_fixed<16,6>",
    reuse: Annotated[int, typer.Option("--reuse", help="reuse factor")] = 1,
    strategy: Annotated[str, typer.Option("--strategy", help="latency, resource or distributed_arithmetic")] = "latency",
    estimator: Annotated[str, typer.Option("--estimator", help="analytic, da4ml, csynth, vsynth, yosys")] = "analytic",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    clock: Annotated[float, typer.Option("--clock", help="clock period in ns")] = 5.0,
    backend: Annotated[str, typer.Option("--backend", help="hls4ml backend: Vitis (Vitis HLS) or Vivado (Vivado HLS)")] = "Vitis",
) -> None:
    """Estimate LUT, DSP, FF, BRAM, latency and II of a saved model converted with hls4ml (io_parallel)."""
    if estimator == "analytic" and strategy.lower() in STRATEGIES:
        estimator = cost_estimator(strategy)  # distributed_arithmetic is costed by da4ml, as in a trial
    device, fixed, chosen = _check_inputs(model, part, precision, reuse, strategy, estimator, backend)
    if clock <= 0:
        raise UserError(f"--clock must be positive, not {clock}")
    backends = {"vitis": "Vitis", "vivado": "Vivado"}
    if backend.lower() not in backends:
        raise UserError(f"--backend: {backend!r} is not one of Vitis, Vivado")
    backend = backends[backend.lower()]
    keras_model = _load(model)
    from hls_workers.estimate import EstimatorUnavailable
    from hls_workers.records import HardwareJob, HlsSettings

    settings = HlsSettings(backend=backend, part=device.name, clock_period_ns=clock, io_type="io_parallel",
                           input_precision=fixed.hls(), softmax="emulate")
    with tempfile.TemporaryDirectory(prefix="sweep_estimate_") as tmp:
        # No design: QKeras layers keep their quantizers, float layers get --precision (the trial's builder).
        job = HardwareJob(model_path=str(model), x_path="", output_dir=tmp, quantization="ptq", layer_quant={},
                          settings=settings, reuse_factor=reuse, strategy=strategy.lower(),
                          float_precision=fixed.hls())
        hls_model = _convert(keras_model, job)
        try:
            result = chosen.estimate(hls_model, settings)
        except EstimatorUnavailable as exc:
            raise UserError(str(exc)) from None
    payload = estimate_payload(result, device, chosen.name)
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        _print_table(payload)
