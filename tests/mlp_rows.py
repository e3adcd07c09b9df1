"""Recorded public hls4ml syntheses of Dense networks (ReLU/sigmoid/softmax; Latency and Resource strategy).

``tests/fixtures/mlp_syntheses/<case>/`` holds, per run, hls4ml's weight text files, the numbers of its
csynth report (``report.json``), the network as the run's firmware declared it (``model.json``: the
layer order of ``myproject.cpp``, every type of ``defines.h``, reuse factor, strategy and ``n_zeros`` of
``parameters.h``) and where every file came from (``source.json``; README there). ``convert_record``
rebuilds the network in Keras with those weights and converts it with exactly those types, so the
estimator sees what the HLS tool saw. Run ``python tests/mlp_rows.py`` for the residual table.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RECORDS = Path(__file__).parent / "fixtures" / "mlp_syntheses"
CASES = tuple(sorted(p.name for p in RECORDS.iterdir() if (p / "model.json").is_file())) if RECORDS.is_dir() else ()


@dataclass(frozen=True)
class MlpRecord:
    """One recorded run: report numbers, the network description and the dense layers' weights."""

    case: str
    report: dict
    model: dict
    #: Keras layer name -> (kernel (n_in, n_out), bias)
    weights: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def dense_layers(self) -> list[dict]:
        return [layer for layer in self.model["layers"] if layer["kind"] == "dense"]

    @property
    def reuse_factor(self) -> int:
        return max(layer["reuse_factor"] for layer in self.dense_layers)

    @property
    def strategy(self) -> str:
        return self.dense_layers[0]["strategy"]


def load_record(case: str, root: Path = RECORDS) -> MlpRecord:
    folder = root / case
    model = json.loads((folder / "model.json").read_text())
    weights = {}
    for layer in model["layers"]:
        if layer["kind"] == "dense":
            kernel = np.loadtxt(folder / "weights" / f"{layer['w_file']}.txt", delimiter=",", ndmin=1)
            bias = np.loadtxt(folder / "weights" / f"{layer['b_file']}.txt", delimiter=",", ndmin=1)
            weights[layer["name"]] = (kernel.reshape(layer["n_in"], layer["n_out"]).astype(np.float32),
                                      bias.reshape(layer["n_out"]).astype(np.float32))
    return MlpRecord(case, json.loads((folder / "report.json").read_text()), model, weights)


def build_model(record: MlpRecord):
    """The Keras network of the record (Dense, ReLU, sigmoid, softmax; HGQ quantizers as linear activations)."""
    from hls_workers.firmware_network import build_keras_model

    return build_keras_model(record.model, record.weights)


def convert_record(record: MlpRecord, output_dir: str):
    """hls4ml ModelGraph with the run's types, reuse factors, strategy, part, clock and uncertainty (no compile)."""
    import hls4ml

    from hls_workers.firmware_network import hls_config

    backend = record.model.get("backend", "Vitis")
    keras_model = build_model(record)
    return hls4ml.converters.convert_from_keras_model(
        keras_model, hls_config=hls_config(record.model, keras_model, backend), output_dir=output_dir,
        backend=backend, part=record.report["part"], clock_period=float(record.report["clock_target_ns"]),
        io_type="io_parallel", clock_uncertainty=f"{100 * record.model['clock_uncertainty']:g}%",
    )


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from hls_workers.estimate import get_estimator

    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            record = load_record(case)
            est = get_estimator("analytic").estimate(convert_record(record, str(Path(tmp) / case)))
            t = record.report["total"]
            print(case, "lat", record.report["latency_max"], est.latency_cycles.value, "dsp", t["dsp"], est.dsp.value,
                  "lut", t["lut"], est.lut.value, "ff", t["ff"], est.ff.value, "bram", t["bram_18k"], est.bram_18k.value,
                  est.notes)
            if "-v" in sys.argv:
                for layer in est.per_layer:
                    print("   ", layer)
