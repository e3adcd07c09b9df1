"""SearchSpace.sample: trial parameters → a concrete Design, for both families."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.trial import FixedTrial

from hls_workers.records import LayerQuant
from sweep.design import Design
from sweep.models import get_family
from sweep.params import ParamSpec
from sweep.space import BIT_PARAMS, COMMON_PARAMS, SearchSpace, complete_space, param_defs

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _study(seed: int = 0) -> optuna.Study:
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))


def _default(family: str, name: str):
    return param_defs(family)[name].default


def _layer_names(design: Design) -> list[str]:
    return [name for name, _, _ in get_family(design.family).dense_layers(design.architecture)]


# ---------------------------------------------------------------- DeepSets


def test_fixed_trial_gives_matching_design():
    space = {
        "phi_layers": ParamSpec(choices=[1, 2, 3]),
        "phi_width": ParamSpec(choices=[8, 16, 32]),
        "rho_layers": ParamSpec(choices=[0, 1, 2]),
        "rho_width": ParamSpec(low=4, high=64),
        "aggregation": ParamSpec(choices=["mean", "max"]),
        "weight_bits": ParamSpec(low=4, high=8, step=2),
        "sparsity": ParamSpec(choices=[0.0, 0.5]),
        "strategy": ParamSpec(choices=["latency", "resource"]),
    }
    params = {"phi_layers": 3, "phi_width_0": 8, "phi_width_1": 32, "phi_width_2": 16,
              "rho_layers": 2, "rho_width_0": 20, "rho_width_1": 5, "aggregation": "max",
              "weight_bits": 6, "sparsity": 0.5, "strategy": "resource"}
    trial = FixedTrial(params)
    design = SearchSpace("deepsets", space).sample(trial)
    assert design.family == "deepsets"
    assert design.architecture["phi"] == [8, 32, 16]
    assert design.architecture["rho"] == [20, 5]
    assert design.architecture["aggregation"] == "max"
    assert _layer_names(design) == ["phi_0", "phi_1", "phi_2", "rho_0", "rho_1", "output"]
    assert list(design.layer_quant) == _layer_names(design)
    assert {q.weight_bits for q in design.layer_quant.values()} == {6}
    assert design.sparsity == 0.5 and design.strategy == "resource"
    assert trial.params == params  # every parameter given was drawn, nothing else


def test_fixed_trial_missing_layer_width_is_requested():
    """With phi_layers=2 the second width is drawn: a FixedTrial that lacks it must complain."""
    space = {"phi_layers": ParamSpec(choices=[1, 2]), "phi_width": ParamSpec(choices=[8, 16])}
    with pytest.raises(ValueError, match="phi_width_1"):
        SearchSpace("deepsets", space).sample(FixedTrial({"phi_layers": 2, "phi_width_0": 8}))
    design = SearchSpace("deepsets", space).sample(FixedTrial({"phi_layers": 1, "phi_width_0": 8}))
    assert design.architecture["phi"] == [8]


def test_per_layer_widths_exist_only_up_to_layer_count():
    space = {
        "phi_layers": ParamSpec(low=1, high=4),
        "phi_width": ParamSpec(choices=[4, 8, 16, 32]),
        "rho_layers": ParamSpec(low=0, high=3),
        "rho_width": ParamSpec(low=2, high=40),
    }
    sampler = SearchSpace("deepsets", space)
    study = _study(1)
    seen_layers = set()
    for _ in range(25):
        trial = study.ask()
        design = sampler.sample(trial)
        n_phi, n_rho = trial.params["phi_layers"], trial.params["rho_layers"]
        seen_layers.add((n_phi, n_rho))
        phi_keys = sorted(k for k in trial.params if k.startswith("phi_width_"))
        rho_keys = sorted(k for k in trial.params if k.startswith("rho_width_"))
        assert phi_keys == sorted(f"phi_width_{i}" for i in range(n_phi))
        assert rho_keys == sorted(f"rho_width_{i}" for i in range(n_rho))
        assert design.architecture["phi"] == [trial.params[f"phi_width_{i}"] for i in range(n_phi)]
        assert design.architecture["rho"] == [trial.params[f"rho_width_{i}"] for i in range(n_rho)]
        expected_layers = [f"phi_{i}" for i in range(n_phi)] + [f"rho_{i}" for i in range(n_rho)] + ["output"]
        assert list(design.layer_quant) == expected_layers
        study.tell(trial, 0.0)
    assert len(seen_layers) > 3  # the loop really explored different depths


def test_per_layer_bits_are_sampled_per_layer():
    space = {
        "phi_layers": ParamSpec(value=2),
        "weight_bits": ParamSpec(choices=[4, 6, 8]),
        "act_bits": ParamSpec(choices=[6, 8]),
        "act_int_bits": ParamSpec(choices=[1, 2]),
    }
    sampler = SearchSpace("deepsets", space, per_layer_bits=True)
    layers = ["phi_0", "phi_1", "rho_0", "output"]
    values = {"phi_0": (4, 6, 1), "phi_1": (8, 8, 2), "rho_0": (6, 6, 2), "output": (4, 8, 1)}
    params = {}
    for layer, (wb, ab, ai) in values.items():
        params.update({f"weight_bits@{layer}": wb, f"act_bits@{layer}": ab, f"act_int_bits@{layer}": ai})
    trial = FixedTrial(params)
    design = sampler.sample(trial)
    assert list(design.layer_quant) == layers
    weight_int_default = _default("deepsets", "weight_int_bits")
    for layer, (wb, ab, ai) in values.items():
        assert design.layer_quant[layer] == LayerQuant(wb, weight_int_default, ab, ai)
    assert len(set(design.layer_quant.values())) == len(layers)
    # the shared names are never drawn, and the fixed weight_int_bits is not drawn per layer either
    assert set(trial.params) == set(params)


def test_per_layer_bits_register_per_layer_names_on_a_real_trial():
    space = {"phi_layers": ParamSpec(choices=[1, 2]), "weight_bits": ParamSpec(low=4, high=8),
             "act_int_bits": ParamSpec(choices=[1, 2, 3])}
    sampler = SearchSpace("deepsets", space, per_layer_bits=True)
    study = _study(3)
    for _ in range(6):
        trial = study.ask()
        design = sampler.sample(trial)
        layers = _layer_names(design)
        bit_keys = {k for k in trial.params if "@" in k}
        assert bit_keys == {f"{b}@{layer}" for b in ("weight_bits", "act_int_bits") for layer in layers}
        assert "weight_bits" not in trial.params and "act_int_bits" not in trial.params
        for layer in layers:
            assert design.layer_quant[layer].weight_bits == trial.params[f"weight_bits@{layer}"]
            assert design.layer_quant[layer].act_int_bits == trial.params[f"act_int_bits@{layer}"]
        study.tell(trial, 0.0)


def test_shared_bits_are_one_parameter_for_all_layers():
    space = {"weight_bits": ParamSpec(choices=[4, 6]), "act_bits": ParamSpec(low=6, high=10)}
    trial = FixedTrial({"weight_bits": 6, "act_bits": 9})
    design = SearchSpace("deepsets", space).sample(trial)
    assert set(trial.params) == {"weight_bits", "act_bits"}
    quants = set(design.layer_quant.values())
    assert len(quants) == 1
    (quant,) = quants
    assert (quant.weight_bits, quant.act_bits) == (6, 9)


def test_fixed_values_are_not_trial_params():
    space = {"phi_layers": ParamSpec(value=1), "phi_width": ParamSpec(value=24), "weight_bits": ParamSpec(value=5),
             "aggregation": ParamSpec(value="max"), "rho_width": ParamSpec(choices=[8, 12])}
    study = _study()
    trial = study.ask()
    design = SearchSpace("deepsets", space).sample(trial)
    assert set(trial.params) == {f"rho_width_{i}" for i in range(_default("deepsets", "rho_layers"))}
    assert design.architecture["phi"] == [24]
    assert design.architecture["aggregation"] == "max"
    assert all(q.weight_bits == 5 for q in design.layer_quant.values())


def test_unnamed_parameters_take_their_defaults():
    trial = _study().ask()
    design = SearchSpace("deepsets", {}).sample(trial)
    assert trial.params == {}
    d = lambda name: _default("deepsets", name)  # noqa: E731
    assert design.architecture["phi"] == [d("phi_width")] * d("phi_layers")
    assert design.architecture["rho"] == [d("rho_width")] * d("rho_layers")
    assert design.architecture["aggregation"] == d("aggregation")
    expected_quant = LayerQuant(**{b: d(b) for b in BIT_PARAMS})
    assert set(design.layer_quant.values()) == {expected_quant}
    assert design.sparsity == d("sparsity")
    assert design.reuse_factor == d("reuse_factor")
    assert design.quantization == d("quantization")
    assert design.strategy == d("strategy")


def test_complete_space_fills_defaults_and_keeps_given():
    given = {"phi_width": ParamSpec(choices=[8, 16])}
    full = complete_space("deepsets", given)
    assert full["phi_width"] is given["phi_width"]
    for param in COMMON_PARAMS:
        assert full[param.name].value == param.default
    assert full["phi_layers"].value == _default("deepsets", "phi_layers")


# ---------------------------------------------------------------- MLP


def test_mlp_layer_names_and_widths():
    space = {"n_layers": ParamSpec(choices=[1, 2, 3, 4]), "width": ParamSpec(choices=[16, 32, 64])}
    params = {"n_layers": 3, "width_0": 64, "width_1": 16, "width_2": 32}
    trial = FixedTrial(params)
    design = SearchSpace("mlp", space).sample(trial)
    assert design.family == "mlp"
    assert design.architecture["hidden"] == [64, 16, 32]
    assert _layer_names(design) == ["dense_0", "dense_1", "dense_2", "output"]
    assert list(design.layer_quant) == ["dense_0", "dense_1", "dense_2", "output"]
    assert trial.params == params


def test_mlp_defaults_on_real_trial():
    trial = _study().ask()
    design = SearchSpace("mlp", {}).sample(trial)
    n = _default("mlp", "n_layers")
    assert design.architecture["hidden"] == [_default("mlp", "width")] * n
    assert list(design.layer_quant) == [f"dense_{i}" for i in range(n)] + ["output"]
    assert trial.params == {}


def test_mlp_dense_layers_follow_architecture():
    layers = get_family("mlp").dense_layers({"hidden": [7, 5]})
    assert [name for name, _, _ in layers] == ["dense_0", "dense_1", "output"]
    assert [units for _, units, _ in layers[:-1]] == [7, 5]
    assert not any(per_constituent for _, _, per_constituent in layers)


def test_deepsets_dense_layers_mark_phi_per_constituent():
    layers = get_family("deepsets").dense_layers({"phi": [3, 4], "rho": [5], "aggregation": "mean"})
    assert [(n, pc) for n, _, pc in layers] == [("phi_0", True), ("phi_1", True), ("rho_0", False),
                                                ("output", False)]


def test_sample_architecture_uses_the_callback():
    calls = []

    def sample(name, base):
        calls.append((name, base))
        return {"n_layers": 2, "width": 11}[base]

    arch = get_family("mlp").sample_architecture(sample)
    assert arch["hidden"] == [11, 11]
    assert calls == [("n_layers", "n_layers"), ("width_0", "width"), ("width_1", "width")]


# ---------------------------------------------------------------- Design round trip


def test_design_round_trip():
    space = {"phi_layers": ParamSpec(choices=[1, 2]), "weight_bits": ParamSpec(choices=[4, 8]),
             "sparsity": ParamSpec(choices=[0.0, 0.25])}
    study = _study(5)
    for _ in range(4):
        design = SearchSpace("deepsets", space, per_layer_bits=True).sample(study.ask())
        data = design.to_dict()
        assert all(isinstance(v, dict) for v in data["layer_quant"].values())
        again = Design.from_dict(json.loads(json.dumps(data)))  # as stored in an Optuna user attribute
        assert again == design
        assert all(isinstance(v, LayerQuant) for v in again.layer_quant.values())
    # from_dict does not modify its input
    before = json.loads(json.dumps(data))
    Design.from_dict(data)
    assert data == before


def test_design_summary_is_written_by_the_family():
    from sweep.report import design_summary

    q = {"weight_bits": 8, "weight_int_bits": 0, "act_bits": 8, "act_int_bits": 3}
    deepsets = {"family": "deepsets", "layer_quant": {"phi_0": q}, "sparsity": 0.5, "reuse_factor": 2,
                "quantization": "qat",
                "architecture": {"n_constituents": 16, "phi": [32, 32], "rho": [16], "aggregation": "mean"}}
    assert design_summary(deepsets) == "n16 phi32,32 rho16 mean | w8.0 a8.3 | sp0.5 rf2 qat"
    mlp = {"family": "mlp", "architecture": {"hidden": [64, 32]}, "layer_quant": {"dense_0": q},
           "sparsity": 0.0, "reuse_factor": 1, "quantization": "ptq"}
    assert design_summary(mlp) == "hidden64,32 | w8.0 a8.3 | sp0 rf1 ptq"
    assert design_summary({**mlp, "family": "gone"}).startswith("hidden=[64, 32] |")
