"""A concrete design: what one trial builds, trains and converts (the sampled point, made explicit)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hls_workers.records import LayerQuant


@dataclass
class Design:
    """Architecture + quantization + pruning + hls4ml knobs of one trial.

    ``layer_quant`` is keyed by Dense layer name (``phi_0``, ``rho_0``, ``output``, ``dense_1`` …); the
    activation after a Dense layer is named ``<layer>_act`` and uses that entry's activation bits.
    """

    family: str
    architecture: dict[str, Any]
    layer_quant: dict[str, LayerQuant]
    sparsity: float = 0.0
    reuse_factor: int = 1
    quantization: str = "qat"
    strategy: str = "latency"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Design":
        data = {k: v for k, v in data.items() if k != "extra"}  # older studies stored an unused ``extra``
        data["layer_quant"] = {k: LayerQuant(**v) for k, v in data["layer_quant"].items()}
        return cls(**data)
