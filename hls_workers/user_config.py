"""Read and validate an hls4ml configuration a user already has, and merge it onto hls4ml's defaults.

Two file shapes, YAML or JSON: the ``hls4ml_config.yml`` hls4ml writes into a project (``KerasModel`` or
``KerasH5``/``KerasJson``, ``Part`` (``XilinxPart`` before hls4ml 0.6), ``ClockPeriod``, ``Backend``, ``IOType``, ``HLSConfig``), or a bare
``HLSConfig`` (``Model``/``LayerType``/``LayerName`` at the top). Python- or hls4ml-tagged YAML nodes
(``!keras_model path``) are read as plain data. Every problem is a :class:`ConfigError` with a one-line
message. Only :func:`merge_with_defaults` needs hls4ml (and a loaded model).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hls_workers.fixed_point import PrecisionError, parse_precision
from hls_workers.strategy import STRATEGIES, hls4ml_strategy

CONFIG_NAME = "hls4ml_config.yml"
MODEL_KEYS = ("KerasModel", "KerasH5")
HLS_SECTIONS = ("Model", "LayerType", "LayerName")
_INTEGER = re.compile(r"^\s*(?:ap_)?u?int\s*<\s*\d+\s*>\s*$")


class ConfigError(ValueError):
    """A user's hls4ml configuration that cannot be used; the message is one line."""


@dataclass(frozen=True)
class UserHlsConfig:
    """A validated user configuration: the ``HLSConfig`` and the target settings the file names (or None)."""

    path: Path
    hls_config: dict
    model_ref: str | None = None
    json_ref: str | None = None
    output_dir: str | None = None
    project_name: str = "myproject"
    part: str | None = None
    clock_period_ns: float | None = None
    backend: str | None = None
    io_type: str | None = None
    clock_uncertainty: str | None = None

    @property
    def strategy(self) -> str:
        """The design strategy of the Model section (``latency``, ``resource``, ``distributed_arithmetic``)."""
        return str(self.hls_config["Model"].get("_design_strategy", "latency"))

    def model_path(self) -> Path | None:
        """The Keras model file the config names, resolved; None when it names none; ConfigError if missing."""
        return None if self.model_ref is None else self._resolve(self.model_ref, "KerasModel/KerasH5")

    def json_path(self) -> Path | None:
        """The ``KerasJson`` architecture file, resolved like the model (its weights are ``KerasH5``)."""
        return None if self.json_ref is None else self._resolve(self.json_ref, "KerasJson")

    def _resolve(self, ref: str, key: str) -> Path:
        for candidate in _candidates(Path(ref), self.path.parent, self.output_dir):
            if candidate.is_file():
                return candidate
        raise ConfigError(f"{self.path}: {key} {ref!r} not found (looked beside the config and in its project); "
                          "give the model file as the MODEL argument")


def _candidates(ref: Path, config_dir: Path, output_dir: str | None) -> list[Path]:
    """Where a model path written into a config may be: absolute, beside the config, or under OutputDir.

    hls4ml writes ``<OutputDir>/keras_model.keras`` relative to the folder it ran in, so a path starting
    with ``OutputDir`` is also tried relative to the config's own folder (the project).
    """
    out = [ref] if ref.is_absolute() else [config_dir / ref, Path.cwd() / ref]
    if output_dir:
        try:
            out.append(config_dir / ref.relative_to(Path(output_dir)))
        except ValueError:
            pass
    return out


class _TolerantLoader(yaml.SafeLoader):
    """A safe loader that reads any tagged node (``!keras_model``, ``!!python/tuple``) as plain data."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_TolerantLoader.add_multi_constructor("", _untagged)


def load_document(path: Path) -> dict:
    """The mapping in a YAML/JSON file; ConfigError for a missing file or one that is not a mapping."""
    if not path.exists():
        raise ConfigError(f"hls4ml config not found: {path}")
    if not path.is_file():
        raise ConfigError(f"{path}: is a folder, not an hls4ml config file (use --hls-project for a project)")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as text: {exc}") from None
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=_TolerantLoader)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: not an hls4ml config (a YAML/JSON mapping with HLSConfig or Model expected)")
    return doc


def find_project_config(project_dir: Path) -> Path:
    """``hls4ml_config.yml`` of an hls4ml project folder."""
    if not project_dir.is_dir():
        raise ConfigError(f"hls4ml project folder not found: {project_dir}")
    path = project_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{project_dir}: no {CONFIG_NAME} (not an hls4ml project written by hls4ml)")
    return path


def read_user_config(path: Path) -> UserHlsConfig:
    """Load, validate and normalise ``path`` (an ``hls4ml_config.yml`` or a bare HLSConfig)."""
    doc = load_document(path)
    if "HLSConfig" in doc:
        hls, top = doc["HLSConfig"], doc
    elif any(key in doc for key in HLS_SECTIONS):
        hls, top = doc, {}
    else:
        raise ConfigError(f"{path}: no HLSConfig, and no Model/LayerType/LayerName at the top: not an hls4ml config")
    hls = validate_hls_config(hls, str(path))
    model_ref = next((top[key] for key in MODEL_KEYS if top.get(key) is not None), None)
    json_ref = top.get("KerasJson")
    for key, value in (("KerasModel/KerasH5", model_ref), ("KerasJson", json_ref)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a file path, not {type(value).__name__}")
    clock = top.get("ClockPeriod")
    if clock is not None:
        try:
            clock = float(clock)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: ClockPeriod must be a number of ns, not {clock!r}") from None
        if clock <= 0:
            raise ConfigError(f"{path}: ClockPeriod must be positive, not {clock}")
    if json_ref is not None and top.get("KerasH5") is None:
        raise ConfigError(f"{path}: KerasJson needs KerasH5 (the weights)")
    return UserHlsConfig(
        path=path, hls_config=hls, model_ref=model_ref, json_ref=json_ref,
        output_dir=_text(top.get("OutputDir")), project_name=_text(top.get("ProjectName")) or "myproject",
        part=_text(top.get("Part") or top.get("XilinxPart")), clock_period_ns=clock, backend=_text(top.get("Backend")),
        io_type=_text(top.get("IOType")), clock_uncertainty=_text(top.get("ClockUncertainty")),
    )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def check_precision(value: Any, where: str) -> None:
    """``value`` is ``auto``, an ``ap_int``/``ap_uint`` or an ``ap_fixed``/``ap_ufixed`` type hls4ml accepts."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: a precision is a string like 'ap_fixed<16,6>', not {value!r}")
    if value.strip().lower() == "auto" or _INTEGER.match(value):
        return
    try:
        parse_precision(re.sub(r"\bAP_", "", value))  # hls4ml also spells the modes AP_RND, AP_SAT
    except PrecisionError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_entry(entry: Any, where: str) -> dict:
    """A Model/LayerType/LayerName entry with its Precision, ReuseFactor and Strategy checked; Strategy is
    rewritten to the hls4ml name a design strategy converts with (Latency or Resource)."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a mapping of settings, not {type(entry).__name__}")
    entry = dict(entry)
    precision = entry.get("Precision")
    if isinstance(precision, dict):
        for var, value in precision.items():
            check_precision(value, f"{where}.Precision.{var}")
    elif precision is not None:
        check_precision(precision, f"{where}.Precision")
    if "ReuseFactor" in entry:
        reuse = entry["ReuseFactor"]
        if isinstance(reuse, bool) or not isinstance(reuse, int) or reuse < 1:
            raise ConfigError(f"{where}.ReuseFactor must be an integer of at least 1, not {reuse!r}")
    if "Strategy" in entry:
        strategy = entry["Strategy"]
        if not isinstance(strategy, str) or strategy.lower() not in STRATEGIES:
            raise ConfigError(f"{where}.Strategy: unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
        entry["_design_strategy"] = strategy.lower()
        entry["Strategy"] = hls4ml_strategy(strategy)
    return entry


def validate_hls_config(hls: Any, where: str = "config") -> dict:
    """A checked, normalised copy of an HLSConfig dict (needs a Model section)."""
    if not isinstance(hls, dict):
        raise ConfigError(f"{where}: HLSConfig must be a mapping, not {type(hls).__name__}")
    if not isinstance(hls.get("Model"), dict):
        raise ConfigError(f"{where}: HLSConfig has no Model section (Precision, ReuseFactor, Strategy)")
    out = copy.deepcopy(hls)
    out["Model"] = _check_entry(out["Model"], "HLSConfig.Model")
    for section in ("LayerType", "LayerName"):
        entries = out.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise ConfigError(f"{where}: HLSConfig.{section} must map names to settings")
        out[section] = {str(k): _check_entry(v, f"HLSConfig.{section}.{k}") for k, v in entries.items()}
        for entry in out[section].values():
            entry.pop("_design_strategy", None)
    return out


def _default_precision(model_section: dict) -> str:
    precision = model_section.get("Precision")
    if isinstance(precision, dict):
        precision = precision.get("default")
    return precision if isinstance(precision, str) and precision.strip().lower() != "auto" else "fixed<16,6>"


def _without_placeholders(entry: dict) -> dict:
    """A name-granularity default entry minus what would shadow the user's Model/LayerType values: the
    ``auto`` precisions and the default ReuseFactor. Quantizer precisions and layer attributes stay."""
    out = {k: copy.deepcopy(v) for k, v in entry.items() if k != "ReuseFactor"}
    if isinstance(out.get("Precision"), dict):
        out["Precision"] = {k: v for k, v in out["Precision"].items() if str(v).lower() != "auto"}
    return out


def _overlay(base: dict, user: dict) -> dict:
    """``user`` over ``base``: keys replace, a Precision mapping merges per variable, a string replaces it."""
    out = dict(base)
    for key, value in user.items():
        if key == "Precision" and isinstance(value, dict) and isinstance(out.get("Precision"), dict):
            out["Precision"] = {**out["Precision"], **value}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_derived(name: str, known: list[str]) -> bool:
    """A layer hls4ml adds while converting (``fc1_linear``, ``fc1_alpha``) and writes back into a config."""
    return any(name.startswith(f"{layer}_") for layer in known)


def merge_with_defaults(model: Any, hls: dict, backend: str) -> dict:
    """The ``hls_config`` for conversion: hls4ml's ``config_from_keras_model(granularity="name")`` of
    ``model`` overlaid with the user's validated ``hls``.

    Model: hls4ml's defaults updated by the user's keys. LayerType and the other sections: the user's.
    LayerName: every layer's default entry without its placeholders (so the user's Model/LayerType values
    reach it through hls4ml's own precedence), then the user's entry for that layer on top. A LayerName
    that is neither a layer of the model nor one hls4ml derives from a layer is a ConfigError.
    """
    import hls4ml

    from hls_workers.extensions import sum_pooling

    sum_pooling.register()  # config_from_keras_model parses the model: custom layers must be known
    base = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend,
                                                default_precision=_default_precision(hls["Model"]))
    known = list(base.get("LayerName", {}))
    user_layers: dict = hls.get("LayerName", {}) or {}
    for name in user_layers:
        if name not in base["LayerName"] and not _is_derived(name, known):
            raise ConfigError(f"HLSConfig.LayerName: {name!r} is not a layer of the model; its layers: "
                              f"{', '.join(known)}")
    merged = {key: copy.deepcopy(value) for key, value in hls.items() if key not in ("Model", "LayerName")}
    merged["Model"] = {**base["Model"], **{k: v for k, v in hls["Model"].items() if not k.startswith("_")}}
    layers = {name: _without_placeholders(entry) for name, entry in base.get("LayerName", {}).items()}
    for name, entry in user_layers.items():
        layers[name] = _overlay(layers.get(name, {}), entry)
    merged["LayerName"] = layers
    return merged
