"""Residuals of ``estimate:analytic`` on every recorded public hls4ml synthesis, fit set and hold-out set apart.

A recorded design is a third-party hls4ml run committed with its trained weights *and* its csynth report
(tests/fixtures/{tutorial,deepsets,mlp}_syntheses). Each one is converted with hls4ml (no compile) exactly
as the run declared it, estimated, and compared with the report: LUT, DSP, FF, BRAM_18K, latency (cycles).

The split is fixed and by design (whole authors), not random (``SPLIT``):
- fit: the runs the FF and latency coefficients were fitted on (Hector-Plata, nrp-nautilus, and for the
  7-series per-DSP-stage registers freaksie/ML-on-Chip; the 7-series Vitis ``ff.per_lut_by_backend`` and
  ``ff.per_dsp_stage_bit_by_backend`` come from the ArgyKokk instance tables, a further non-hold-out author);
- hold-out: other authors, tools and parts, never fitted on (pominiq, Thifjj, the l1-jet-id DeepSets,
  Daniel-Alencar, ml4quantum, Lrozzy/hls4ml_OpenML, k-diep, Duchstf/Tau_L1, MichalVarsanyi);
- not modelled: runs the estimator cannot represent (a build script forcing the multiplier binding,
  ``config_op mul -impl dsp``; HGQ per-element quantizers; an integer input the tool narrows to the bits its
  accumulator keeps); reported for the record, not fitted, not banded.

Run: ``.venv/bin/python bench/estimate_residuals.py [--write docs/estimate_residuals.md]``.
tests/test_estimate_residuals.py recomputes the same rows with this module and pins the bands (``BANDS``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

METRICS = ("lut", "dsp", "ff", "bram_18k", "latency", "ii")
#: Metrics compared in clock cycles (the error is estimate - report), the others in percent.
CYCLE_METRICS = ("latency", "ii")

#: design -> group. Whole authors go to one side; see the module docstring.
SPLIT = {
    # fit: Hector-Plata/hls4ml-tutorial (Vivado HLS 2019.2) and nrp-nautilus/6nrp-hls4ml (Vitis HLS 2022.2)
    "tutorial/hector_model_1": "fit",
    "tutorial/hector_model_2": "fit",
    "tutorial/hector_model_3_9f451d8": "fit",
    "tutorial/nrp_model_1": "fit",
    "mlp/hector_model_1_rf2": "fit",
    "mlp/hector_model_3_pynq": "fit",
    # fit: freaksie/ML-on-Chip (Vivado HLS 2018.3, xc7vx485t, 5 ns, 16- and 18-bit DSP products)
    "mlp/freaksie_qubit_16_6": "fit",
    "mlp/freaksie_qubit_18_6": "fit",
    # fit: camillaMiao/Hls-and-bambu (Vivado HLS 2019.2, xc7vx690t, 5 ns; recorded after the freaksie fit, which
    # it leaves unchanged)
    "mlp/camillamiao_single_dense": "fit",
    # hold-out: other authors, tool versions and parts
    "mlp/ml4quantum_forward_rf1": "hold-out",
    "mlp/danielalencar_autoencoder_rf4": "hold-out",
    "mlp/lrozzy_openml_jet_pruned": "hold-out",
    "mlp/kdiep_mnist_6bit": "hold-out",
    "mlp/duchstf_tau_two_heads": "hold-out",
    "mlp/pominiq_dummy_rf1": "hold-out",
    "mlp/pominiq_slp_rf8_pruned": "hold-out",
    "mlp/pominiq_dummy_rf16_pruned": "hold-out",
    "mlp/thifjj_iris": "hold-out",
    # hold-out, recorded after the per-call latency model: MichalVarsanyi/FPGA-NN-Demo (Vitis HLS 2024.1, xc7a15t)
    "mlp/michalvarsanyi_mnist25_a7": "hold-out",
    "deepsets/8bits_8const": "hold-out",
    "deepsets/6bits_8const": "hold-out",
    "deepsets/4bits_8const": "hold-out",
}
#: Everything else recorded is outside the model: ArgyKokk/hls4ml_MLP_estimator forces the multiplier binding in
#: its build script (``config_op mul -impl dsp``); Lrozzy's HGQ network quantizes every input and activation
#: element to its own width (``h_quantize``), far below the declared layer types the estimator reads;
#: freaksie_qubit_18_4 multiplies a 32-bit integer input (``ap_fixed<32,32>``) by 18-bit constants into an
#: ``ap_fixed<18,4>`` accumulator, and the tool keeps only the 11-15 input bits that reach it (one DSP48E1 per
#: product, 16 for 16); the estimator sizes products from the declared 32-bit input (two DSPs each);
#: the Resource-strategy runs (nicologhielmetti_jet_resource, mgrailoo_*) are DATAFLOW tops of pre-1.0 hls4ml
#: (``#pragma HLS DATAFLOW`` on io_parallel Resource networks), whose inter-layer FIFOs the estimator does not
#: model (mgrailoo: the 784-wide input FIFOs hold 524 of 555 and 1,394 of 1,546 BRAM_18K).
DEFAULT_GROUP = "not modelled"

#: Documented bands, measured with this module (docs/estimate_residuals.md), per (group, coefficient family; DeepSets
#: DATAFLOW tops apart): the largest |error| allowed, in percent (latency and II: cycles); None = not banded. Every
#: design of the fit and hold-out sets falls under one of them (``band_key``).
BANDS = {
    ("fit", "ultrascale_plus"): {"lut": 15, "dsp": 20, "ff": 50, "bram_18k": 0, "latency": 1, "ii": 0},
    ("fit", "7series"): {"lut": 10, "dsp": 5, "ff": 5, "bram_18k": 0, "latency": 2, "ii": 1},
    ("hold-out", "ultrascale_plus"): {"lut": 25, "dsp": 20, "ff": 80, "bram_18k": 0, "latency": 10, "ii": 0},
    ("hold-out", "7series"): {"lut": 10, "dsp": 5, "ff": 66, "bram_18k": 0, "latency": 13, "ii": 1},
    # DeepSets: DATAFLOW tops (FIFOs not modelled), stand-in weights in some layers
    ("hold-out", "ultrascale_plus DATAFLOW"): {"lut": 40, "dsp": None, "ff": 60, "bram_18k": 0, "latency": 9, "ii": 0},
}
#: Largest |error| (cycles) of a dense layer's own latency against its instance in the report, per band
#: (``instance_latency_errors``; the DeepSets DATAFLOW reports list no instance latencies).
INSTANCE_BANDS = {
    ("fit", "ultrascale_plus"): 0,
    ("fit", "7series"): 2,
    ("hold-out", "ultrascale_plus"): 2,
    ("hold-out", "7series"): 4,
}

@dataclass
class Residual:
    design: str
    group: str
    source: str
    tool: str
    part: str
    reuse_factor: int
    strategy: str
    reported: dict
    estimated: dict
    notes: list[str] = field(default_factory=list)
    #: The estimate's per-layer rows (lut, dsp, ff, cycles, …).
    layers: list[dict] = field(default_factory=list)
    #: The report's per-instance rows (module, lut, dsp, ff, …), where it has them.
    report_instances: list[dict] = field(default_factory=list)

    def error(self, metric: str) -> float | None:
        """Relative error in percent (latency, II: cycles); None when the report has 0 and the estimate too."""
        rep, est = self.reported[metric], self.estimated[metric]
        if metric in CYCLE_METRICS:
            return est - rep
        if rep == 0:
            return None if est == 0 else float("inf")
        return 100.0 * (est - rep) / rep


def _reported(report: dict) -> dict:
    total = report["total"]
    return {"lut": int(total["lut"]), "dsp": int(total["dsp"]), "ff": int(total["ff"]),
            "bram_18k": int(total["bram_18k"]), "latency": int(report["latency_max"]),
            "ii": int(report["interval_max"])}


def _estimated(est) -> dict:
    return {"lut": est.lut.value, "dsp": est.dsp.value, "ff": est.ff.value, "bram_18k": est.bram_18k.value,
            "latency": est.latency_cycles.value, "ii": est.ii.value}


def _short(source: dict) -> str:
    return f"{source['repo']}@{source['commit'][:7]}"


def family(part: str) -> str:
    """Coefficient family of a recorded part (the estimator's own choice)."""
    from hls_workers.estimate.analytic import family_of

    return family_of(part, [])


def designs() -> list[str]:
    """Every recorded design with weights, as ``<collection>/<case>``."""
    import deepsets_rows as dr
    import mlp_rows as mr
    import tutorial_rows as tr

    return ([f"tutorial/{c}" for c in tr.SYNTHESIS_CASES] + [f"deepsets/{c}" for c in dr.CASES]
            + [f"mlp/{c}" for c in mr.CASES])


def residual(design: str, output_root: str) -> Residual:
    """Convert, estimate and compare one recorded design."""
    import deepsets_rows as dr
    import mlp_rows as mr
    import tutorial_rows as tr

    collection, case = design.split("/")
    out = str(Path(output_root) / collection / case)
    group = SPLIT.get(design, DEFAULT_GROUP)
    if collection == "tutorial":
        record = tr.load_synthesis(case)
        report, rf, strategy = record.report, 1, "latency"
        hls_model = tr.convert_synthesis(record, out)
        notes = [f"stand-in weights: {', '.join(record.standins)}"] if record.standins else []
    elif collection == "deepsets":
        record = dr.load_record(case)
        report, rf, strategy = record.report, 2, "latency"
        hls_model = dr.convert_record(record, out)
        notes = [f"stand-in weights: {', '.join(record.standins)}", "DATAFLOW top (FIFOs not modelled)"]
    else:
        record = mr.load_record(case)
        report, rf, strategy = record.report, record.reuse_factor, record.strategy
        hls_model = mr.convert_record(record, out)
        notes = []
    from hls_workers.estimate import get_estimator

    est = get_estimator("analytic").estimate(hls_model)
    return Residual(design, group, _short(report["source"]), f"{report['tool']} {report['tool_version']}",
                    report["part"], rf, strategy, _reported(report), _estimated(est), notes, est.per_layer,
                    report.get("instances", []))


def band_key(r: Residual) -> tuple[str, str]:
    """(group, family) of a row's band; the DeepSets DATAFLOW tops have their own."""
    label = family(r.part) + (" DATAFLOW" if r.design.startswith("deepsets/") else "")
    return r.group, label


def worst_errors(rows: list[Residual]) -> dict[tuple[str, str], dict[str, tuple[float, str] | None]]:
    """Per band: each metric's largest |error| and the design that sets it (None: no row with a value)."""
    out: dict[tuple[str, str], dict[str, tuple[float, str] | None]] = {}
    for r in rows:
        if r.group not in ("fit", "hold-out"):
            continue
        band = out.setdefault(band_key(r), {m: None for m in METRICS})
        for metric in METRICS:
            error = r.error(metric)
            if error is not None and (band[metric] is None or abs(error) > abs(band[metric][0])):
                band[metric] = (error, r.design)
    return out


def _band_table(rows: list[Residual]) -> list[str]:
    lines = ["### Largest error per band (measured; pinned limit in brackets)", "",
             "| set | family | runs | LUT | DSP | FF | BRAM_18K | latency | II |", "|---|---|---|---|---|---|---|---|---|"]
    for key, worst in sorted(worst_errors(rows).items()):
        runs = sum(1 for r in rows if band_key(r) == key)
        limits = BANDS.get(key, {})
        cells = []
        for metric in METRICS:
            limit = limits.get(metric)
            bracket = f" [{limit}]" if limit is not None else " [–]"
            cells.append(("exact" if worst[metric] is None else _fmt_error(metric, worst[metric][0])) + bracket)
        lines.append(f"| {key[0]} | {key[1]} | {runs} | " + " | ".join(cells) + " |")
    return lines + [""]


def _boundary_table(rows: list[Residual]) -> list[str]:
    """Reported latency against the sum of the report's instance latencies, for the runs whose instance table
    lists them: the cycles the top level adds between calls (two-head networks sum both heads)."""
    lines = ["### Latency outside the instances (reported)", "",
             "| design | tool | calls | sum of instance latencies | reported latency | outside | estimated latency |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.group not in ("fit", "hold-out") or not r.report_instances:
            continue
        if any("latency" not in instance for instance in r.report_instances):
            continue
        inside = sum(instance["latency"] for instance in r.report_instances)
        lines.append(f"| {r.design} | {r.tool} | {len(r.report_instances)} | {inside} | {r.reported['latency']} | "
                     f"{r.reported['latency'] - inside:+d} | {r.estimated['latency']:.0f} |")
    return lines + [""]


def dense_instance_pairs(r: Residual) -> list[tuple[dict, dict]]:
    """The estimate's dense layers paired one to one with the report's dense instances
    (:func:`~hls_workers.estimate.instance_pairing.pair_instances`); empty when the report lists no instance
    latencies."""
    from hls_workers.estimate.instance_pairing import pair_instances

    instances = [i for i in r.report_instances if "latency" in i]
    return pair_instances(r.layers, instances, kinds=("dense",))


def instance_latency_errors(r: Residual) -> list[int]:
    """Per dense layer: the estimate's own latency of the layer's function minus the report's instance latency."""
    return [int(layer["instance_latency"] - instance["latency"]) for layer, instance in dense_instance_pairs(r)]


def _instance_table(rows: list[Residual]) -> list[str]:
    lines = ["### Dense-layer latency per instance (estimate's own layer latency against the report's instance; "
             "pinned limit in brackets)", "",
             "| set | family | dense instances | exact | largest error (cycles) |", "|---|---|---|---|---|"]
    by_band: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        if r.group in ("fit", "hold-out"):
            by_band.setdefault(band_key(r), []).extend(instance_latency_errors(r))
    for key, errors in sorted(by_band.items()):
        if not errors:
            continue
        worst = max(errors, key=abs)
        lines.append(f"| {key[0]} | {key[1]} | {len(errors)} | {sum(e == 0 for e in errors)} | "
                     f"{worst:+d} [{INSTANCE_BANDS[key]}] |")
    return lines + [""]


def _instance_by_tool_table(rows: list[Residual]) -> list[str]:
    """Dense-layer instance latency error per HLS tool version (fit and hold-out rows): where tools differ."""
    lines = ["### Dense-layer latency per instance, by HLS tool (fit and hold-out rows)", "",
             "| tool | runs | dense instances | exact | mean error | largest error (cycles) |",
             "|---|---|---|---|---|---|"]
    by_tool: dict[str, tuple[set, list[int]]] = {}
    for r in rows:
        errors = instance_latency_errors(r) if r.group in ("fit", "hold-out") else []
        if errors:
            designs, all_errors = by_tool.setdefault(r.tool, (set(), []))
            designs.add(r.design)
            all_errors.extend(errors)
    for tool, (designs, errors) in sorted(by_tool.items()):
        worst = max(errors, key=abs)
        lines.append(f"| {tool} | {len(designs)} | {len(errors)} | {sum(e == 0 for e in errors)} | "
                     f"{sum(errors) / len(errors):+.1f} | {worst:+d} |")
    return lines + [""]


def residuals(output_root: str, selected: list[str] | None = None) -> list[Residual]:
    return [residual(d, output_root) for d in (selected or designs())]


def _fmt_error(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric in CYCLE_METRICS:
        return f"{value:+.0f}"
    return f"{value:+.0f} %" if abs(value) != float("inf") else "new"


def markdown(rows: list[Residual]) -> str:
    """One table per group: reported / estimated (error) for every metric."""
    titles = {"fit": "Fit set", "hold-out": "Hold-out set", "not modelled": "Recorded, not modelled (not fitted, not banded)"}
    lines = _band_table(rows)
    for group in ("fit", "hold-out", "not modelled"):
        chosen = [r for r in rows if r.group == group]
        if not chosen:
            continue
        lines += [f"### {titles[group]}", "",
                  "| design | source | tool | part | RF | strategy | LUT rep / est (err) | DSP | FF | BRAM_18K | latency (cycles) | II |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in chosen:
            cells = []
            for metric in METRICS:
                rep, est = r.reported[metric], r.estimated[metric]
                cells.append(f"{rep:,} / {est:,.0f} ({_fmt_error(metric, r.error(metric))})")
            lines.append(f"| {r.design} | {r.source} | {r.tool} | {r.part} | {r.reuse_factor} | {r.strategy} | "
                         + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines + _instance_table(rows) + _instance_by_tool_table(rows) + _boundary_table(rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="replace the generated block of this markdown file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        text = markdown(residuals(tmp))
    print(text)
    if args.write:
        path = Path(args.write)
        begin, end = "<!-- residuals:begin -->", "<!-- residuals:end -->"
        current = path.read_text() if path.exists() else f"{begin}\n{end}\n"
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    main()
