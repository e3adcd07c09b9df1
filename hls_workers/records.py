"""Plain records passed between the study (``sweep``) and the hardware stage (``hls_workers``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True)
class LayerQuant:
    """Fixed-point choice for one Dense layer and the activation after it (QKeras conventions).

    ``*_int_bits`` count integer bits without the sign bit, as in ``quantized_bits(bits, integer)``,
    so weights map to ``ap_fixed<weight_bits, weight_int_bits + 1>`` and ReLU outputs to
    ``ap_ufixed<act_bits, act_int_bits>``.
    """

    weight_bits: int
    weight_int_bits: int
    act_bits: int
    act_int_bits: int


@dataclass(frozen=True)
class DenseRecord:
    """One Dense layer of a network: ``n_in`` → ``n_out``, applied ``repeats`` times in parallel.

    ``repeats`` is the number of set items it runs on (the constituents of a DeepSets phi layer, which
    hls4ml turns into a pointwise Conv1D), 1 for a layer after the aggregation or in an MLP. ``relu``: a
    ReLU (``<name>_act``) follows it with the activation bits of ``quant``.
    """

    name: str
    n_in: int
    n_out: int
    quant: LayerQuant
    relu: bool = True
    repeats: int = 1


@dataclass(frozen=True)
class PoolRecord:
    """A global aggregation over ``items`` set members of ``features`` values each (``mean``, ``max`` or ``sum``)."""

    name: str
    op: str
    items: int
    features: int


LayerRecord = Union[DenseRecord, PoolRecord]


@dataclass(frozen=True)
class NetworkRecord:
    """A model family's network as the hardware side needs it: layers in data-flow order.

    Families describe their networks with it (``ModelFamily.network``); BOPs, the pre-training estimate
    and everything else the hardware side derives from a design read it, never the family's own keys.
    ``softmax``: the output goes through a softmax (classification).
    """

    layers: tuple[LayerRecord, ...]
    softmax: bool = False

    @property
    def dense(self) -> list[DenseRecord]:
        return [layer for layer in self.layers if isinstance(layer, DenseRecord)]


@dataclass
class HlsSettings:
    """Study-wide hls4ml settings (the study file's ``hls4ml:`` section)."""

    backend: str = "Vitis"
    part: str = "xcvu13p-flga2577-2-e"
    clock_period_ns: float = 5.0
    io_type: str = "io_parallel"
    input_precision: str = "ap_fixed<12,4,RND,SAT>"
    #: ``skip``: compare logits (argmax is unchanged by softmax); ``emulate``: hls4ml's lookup-table softmax.
    softmax: Literal["skip", "emulate"] = "skip"
    #: Accumulator of global average and sum pooling; ``auto`` derives a width that cannot overflow.
    pool_accum_precision: str = "auto"


@dataclass
class HardwareJob:
    """Everything the hardware stage needs for one trial, as files and plain values."""

    model_path: str
    x_path: str
    output_dir: str
    quantization: Literal["qat", "ptq"]
    layer_quant: dict[str, LayerQuant]
    settings: HlsSettings
    reuse_factor: int = 1
    strategy: Literal["latency", "resource", "distributed_arithmetic"] = "latency"
    #: Keras reference to save next to the emulation: the pre-softmax ``logits_layer`` output, or the model output.
    logits_layer: str | None = None
    #: ``numpy``: bit-accurate numpy emulation, no g++ (falls back to hls4ml when unsupported);
    #: ``hls4ml``: compile hls4ml's C++ emulator and ``predict``.
    emulator: Literal["numpy", "hls4ml"] = "numpy"
    #: Also compile + predict with hls4ml and record how well the two agree.
    cross_check: bool = False
    #: Precision of float layers that ``layer_quant`` does not name (a model sized by ``sweep estimate``);
    #: QKeras layers outside ``layer_quant`` keep their own quantizers.
    float_precision: str = "fixed<16,6>"


@dataclass
class HardwareResult:
    """What the hardware stage measured: emulated outputs (``y_path``) and the Keras reference (``y_keras_path``)."""

    y_path: str
    y_keras_path: str
    project_dir: str
    hls_config: dict
    layer_precisions: dict[str, dict[str, str]]
    timings: dict[str, float] = field(default_factory=dict)
    #: Hardware cost: ``{"values": {...}, "sources": {...}, "notes": [...]}`` (see hls_workers.hardware_cost).
    resources: dict = field(default_factory=dict)
    #: Which emulator produced ``y_path``: ``numpy`` or ``hls4ml``.
    emulator_used: str = "hls4ml"
    #: Why the numpy emulator was not used although asked for (``None`` when it was, or was not asked).
    fallback_reason: str | None = None
    #: numpy vs hls4ml on the same samples: ``bit_exact_fraction``, ``max_abs_diff``, ``n`` (when cross-checked).
    cross_check: dict | None = None
    #: Per-layer value ranges beside their fixed-point types (:func:`hls_workers.profiling.layer_profile`).
    profile: list[dict] = field(default_factory=list)
