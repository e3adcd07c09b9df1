"""The study file: the quickstart loads, and every mistake is a one-line UserError naming its key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sweep.config import StudyConfig, load_config, parse_config
from sweep.data.schema import MAX_CONSTITUENTS
from sweep.errors import UserError
from sweep.objectives import OBJECTIVES

QUICKSTART = Path(__file__).resolve().parents[1] / "studies" / "quickstart.yaml"


@pytest.fixture(scope="module")
def quickstart_doc() -> dict:
    return yaml.safe_load(QUICKSTART.read_text())


def _set(doc: dict, dotted: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return doc


def _user_error(doc, source: str = "study.yaml") -> str:
    with pytest.raises(UserError) as info:
        parse_config(doc, source)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{source}: "), message
    return message


# ---------------------------------------------------------------- the quickstart


def test_quickstart_loads(quickstart_doc):
    cfg = load_config(QUICKSTART)
    assert isinstance(cfg, StudyConfig)
    assert cfg.name == quickstart_doc["name"]
    assert cfg.model.family == quickstart_doc["model"]["family"]
    assert cfg.data.n_constituents == quickstart_doc["data"]["n_constituents"]
    assert set(cfg.space) == set(quickstart_doc["space"])
    assert [o.metric for o in cfg.objectives] == quickstart_doc["objectives"]
    for objective in cfg.objectives:
        assert objective.resolved_direction == OBJECTIVES[objective.metric].direction
    assert cfg.sampler.name == quickstart_doc["sampler"]["name"]
    assert cfg.sampler.options == quickstart_doc["sampler"]["options"]
    assert cfg.training.epochs == quickstart_doc["training"]["epochs"]
    # the shorthand forms became the right ParamSpec forms
    assert cfg.space["phi_width"].choices == quickstart_doc["space"]["phi_width"]
    assert cfg.space["rho_layers"].value == quickstart_doc["space"]["rho_layers"]
    assert cfg.space["weight_bits"].low == quickstart_doc["space"]["weight_bits"]["low"]
    assert cfg.space["weight_bits"].step == quickstart_doc["space"]["weight_bits"]["step"]


def test_explicit_direction_overrides_objective_default(quickstart_doc):
    default = OBJECTIVES["bops"].direction
    other = "maximize" if default == "minimize" else "minimize"
    cfg = parse_config(_set(quickstart_doc, "objectives", [{"metric": "bops", "direction": other}]), "s.yaml")
    assert cfg.objectives[0].resolved_direction == other


def test_mlp_study_gets_hlf_representation(quickstart_doc):
    doc = _set(quickstart_doc, "model.family", "mlp")
    doc["space"] = {"n_layers": [1, 2]}
    doc["data"].pop("representation", None)
    cfg = parse_config(doc, "mlp.yaml")
    assert cfg.data.representation == "hlf"
    # and stating it explicitly is accepted as well
    cfg = parse_config(_set(doc, "data.representation", "hlf"), "mlp.yaml")
    assert cfg.data.representation == "hlf"


def test_deepsets_study_gets_constituents_representation(quickstart_doc):
    cfg = parse_config(quickstart_doc, "ds.yaml")
    assert cfg.data.representation == "constituents"


# ---------------------------------------------------------------- file-level errors


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(UserError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nseed: 1\nstorage: a: b\nn_trials: 3\n")  # line 3 is broken
    with pytest.raises(UserError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert "malformed YAML" in message
    assert "line 3" in message


def test_malformed_yaml_unclosed_flow(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nspace:\n  phi_width: [8, 16\n")
    with pytest.raises(UserError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and "malformed YAML" in message and "line " in message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "", "42\n"])
def test_non_mapping_document(tmp_path, text):
    path = tmp_path / "list.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and "mapping" in message


def test_non_mapping_parse_config():
    message = _user_error(["a", "b"], "x.yaml")
    assert "mapping" in message


# ---------------------------------------------------------------- key-path errors

BAD_CASES = {
    # id: (dotted key to set, value, key path the message must name, text the message must contain)
    "unknown-top-level": ("frobnicate", 1, "frobnicate", "unknown key"),
    "unknown-nested": ("training.epoch", 3, "training.epoch", "unknown key"),
    "unknown-range-key": ("space.phi_width", {"low": 4, "hgh": 8}, "space.phi_width.hgh", "unknown key"),
    "unknown-space-param": ("space.phi_widht", 8, "space.phi_widht", "unknown parameter"),
    "width-zero": ("space.phi_width", 0, "space.phi_width", "0"),
    "width-negative": ("space.rho_width", -3, "space.rho_width", "-3"),
    "width-range-below-1": ("space.phi_width", {"low": 0, "high": 8}, "space.phi_width", "minimum"),
    "width-not-integer": ("space.phi_width", 8.5, "space.phi_width", "8.5"),
    "sparsity-one": ("space.sparsity", 1.0, "space.sparsity", "1"),
    "sparsity-negative": ("space.sparsity", -0.1, "space.sparsity", "-0.1"),
    "sparsity-choice-one": ("space.sparsity", [0.0, 1.0], "space.sparsity", "1"),
    "range-low-above-high": ("space.phi_width", {"low": 32, "high": 8}, "space.phi_width", "low"),
    "empty-choices": ("space.phi_width", [], "space.phi_width", "empty"),
    "category-not-allowed": ("space.aggregation", ["mean", "median"], "space.aggregation", "'median'"),
    "unknown-sampler": ("sampler.name", "cmaes", "sampler.name", "'cmaes'"),
    "unknown-objective": ("objectives", ["bops", "latency_us"], "objectives", "'latency_us'"),
    "duplicate-objective": ("objectives", ["bops", "accuracy_gap", "bops"], "objectives", "twice"),
    "duplicate-objective-long-form": ("objectives", ["bops", {"metric": "bops", "direction": "maximize"}],
                                      "objectives", "twice"),
    "precision-int-above-width": ("hls4ml.input_precision", "ap_fixed<4,6>", "hls4ml.input_precision",
                                  "ap_fixed<4,6>"),
    "precision-garbage": ("hls4ml.input_precision", "float32", "hls4ml.input_precision", "float32"),
    "precision-bad-mode": ("hls4ml.input_precision", "ap_fixed<12,4,RND,CLIP>", "hls4ml.input_precision",
                           "CLIP"),
    "pool-accum-precision": ("hls4ml.pool_accum_precision", "fixed<8,9>", "hls4ml.pool_accum_precision",
                             "fixed<8,9>"),
    "unknown-family": ("model.family", "transformer", "model.family", "'transformer'"),
    "too-many-constituents": ("data.n_constituents", MAX_CONSTITUENTS + 1, "data.n_constituents",
                              str(MAX_CONSTITUENTS)),
    "unknown-class": ("data.classes", ["g", "q", "higgs"], "data.classes", "'higgs'"),
    "deepsets-with-hlf": ("data.representation", "hlf", "data.representation", "constituents"),
    "epochs-zero": ("training.epochs", 0, "training.epochs", "1"),
    "empty-name": ("name", "", "name", "1 character"),
}


@pytest.mark.parametrize("case", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_value_names_key_path(quickstart_doc, case):
    dotted, value, key_path, needle = case
    message = _user_error(_set(quickstart_doc, dotted, value))
    assert message.startswith(f"study.yaml: {key_path}"), message
    assert needle in message, message


def test_mlp_with_constituents_representation(quickstart_doc):
    doc = _set(quickstart_doc, "model.family", "mlp")
    doc["space"] = {}
    doc["data"]["representation"] = "constituents"
    message = _user_error(doc)
    assert message.startswith("study.yaml: data.representation"), message
    assert "mlp" in message and "hlf" in message


def test_deepsets_parameter_in_mlp_space_is_unknown(quickstart_doc):
    doc = _set(quickstart_doc, "model.family", "mlp")
    doc["space"] = {"phi_width": 8}
    message = _user_error(doc)
    assert message.startswith("study.yaml: space.phi_width"), message
    assert "unknown parameter" in message and "'mlp'" in message


def test_max_constituents_is_accepted(quickstart_doc):
    cfg = parse_config(_set(quickstart_doc, "data.n_constituents", MAX_CONSTITUENTS), "s.yaml")
    assert cfg.data.n_constituents == MAX_CONSTITUENTS


# ---------------------------------------------------------------- integer bits vs bits


def _space(doc: dict, **space) -> dict:
    doc = copy.deepcopy(doc)
    doc["space"].update(space)
    return doc


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_weight_int_bits_up_to_bits_minus_one(quickstart_doc, bits):
    ok = parse_config(_space(quickstart_doc, weight_bits=bits, weight_int_bits=bits - 1), "s.yaml")
    assert ok.space["weight_int_bits"].value == bits - 1
    message = _user_error(_space(quickstart_doc, weight_bits=bits, weight_int_bits=bits))
    assert message.startswith("study.yaml: space.weight_int_bits"), message


def test_weight_int_bits_checked_against_smallest_bits(quickstart_doc):
    # the smallest weight_bits (4) must hold the largest weight_int_bits (4) + sign: it cannot
    doc = _space(quickstart_doc, weight_bits={"low": 4, "high": 8}, weight_int_bits=[0, 4])
    message = _user_error(doc)
    assert message.startswith("study.yaml: space.weight_int_bits"), message
    assert parse_config(_space(quickstart_doc, weight_bits={"low": 4, "high": 8}, weight_int_bits=[0, 3]), "s")


@pytest.mark.parametrize("bits", [1, 6, 10])
def test_act_int_bits_up_to_bits(quickstart_doc, bits):
    ok = parse_config(_space(quickstart_doc, act_bits=bits, act_int_bits=bits), "s.yaml")
    assert ok.space["act_int_bits"].value == bits
    message = _user_error(_space(quickstart_doc, act_bits=bits, act_int_bits=bits + 1))
    assert message.startswith("study.yaml: space.act_int_bits"), message


def test_act_int_bits_range_checked_against_smallest_act_bits(quickstart_doc):
    doc = _space(quickstart_doc, act_bits=[6, 10], act_int_bits={"low": 2, "high": 7})
    message = _user_error(doc)
    assert message.startswith("study.yaml: space.act_int_bits"), message


# ---------------------------------------------------------------- validation gaps

@pytest.mark.parametrize("spec", [{"low": 4, "high": 8, "step": 0.5},
                                  {"low": 4, "high": 16, "step": 4, "log": True}],
                         ids=["int-fractional-step", "step-with-log"])
def test_unsampleable_range_is_rejected(quickstart_doc, spec):
    _user_error(_set(quickstart_doc, "space.weight_bits", spec))
