"""Trial notes for optuna-dashboard (issue 10, item 1): the markdown of each finished trial, and that
`run_study` stores it for every COMPLETE, FAIL and PRUNED trial without ever stopping the study."""

from __future__ import annotations

import logging
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState, create_trial
from optuna_dashboard import get_note

from dashboard_study import FAIL_REASON, PRUNE_REASON, QUICKSTART, make_study
from sweep.config import load_config
from sweep.notes import format_value, save_trial_note, trial_note, trial_ref
from sweep.study import open_study, run_study
from sweep.training import TrialFailed

optuna.logging.set_verbosity(optuna.logging.ERROR)

DESIGN = {"family": "deepsets",
          "architecture": {"n_constituents": 16, "phi": [32, 32], "rho": [16], "aggregation": "mean"},
          "layer_quant": {"phi_0": {"weight_bits": 6, "weight_int_bits": 0, "act_bits": 8, "act_int_bits": 3}},
          "sparsity": 0.25, "reuse_factor": 2, "quantization": "qat"}
DESIGN_LINE = "n16 phi32,32 rho16 mean | w6.0 a8.3 | sp0.25 rf2 qat"
OBJECTIVES = ["emulated_accuracy", "accuracy_gap", "lut"]


def _trial(**kwargs) -> optuna.trial.FrozenTrial:
    """A finished trial as a callback receives it, numbered 7."""
    trial = create_trial(**kwargs)
    trial.number = 7
    return trial


def _complete(**attrs) -> optuna.trial.FrozenTrial:
    metrics = {"emulated_accuracy": 0.7512, "keras_accuracy": 0.7637, "accuracy_gap": 0.0125, "lut": 1234.0,
               "dsp": 1502.0, "bops": 1234567.0, "n_params": 1234}
    user_attrs = {"design": DESIGN, "metrics": metrics, "emulator_used": "numpy",
                  "hardware_sources": {"lut": "estimate:analytic", "dsp": "da4ml"},
                  "hardware_notes": ["latency from the analytic model"], **attrs}
    return _trial(values=[0.7512, 0.0125, 1234.0], user_attrs=user_attrs)


def test_complete_trial_note_has_design_objectives_and_metrics_with_sources():
    note = trial_note(_complete(), OBJECTIVES)
    lines = note.splitlines()
    assert lines[0] == "### Trial 7: COMPLETE"
    assert f"**design** `{DESIGN_LINE}`" in lines
    # objectives, in the study's order, with the source of a hardware number
    objectives = lines[lines.index("| objective | value | source |") + 2:][:3]
    assert objectives == ["| emulated_accuracy | 0.7512 |  |", "| accuracy_gap | 0.0125 |  |",
                          "| lut | 1,234 | estimate:analytic |"]
    # the other metrics (objectives not repeated), each with its source where there is one
    metrics = lines[lines.index("| metric | value | source |") + 2:]
    assert metrics[:5] == ["| keras_accuracy | 0.7637 |  |", "| dsp | 1,502 | da4ml |", "| bops | 1,234,567 |  |",
                           "| n_params | 1,234 |  |", ""]
    assert "emulator: numpy" in lines
    assert "- latency from the analytic model" in lines
    assert "failed" not in note and "pruned" not in note and "infeasible" not in note


def test_note_names_objectives_by_number_without_metric_names():
    lines = trial_note(_complete()).splitlines()
    assert "| objective 2 | 1,234 |  |" in lines  # which metric it is, and so its source, is unknown
    assert "| lut | 1,234 | estimate:analytic |" in lines  # the metric itself keeps its source


def test_infeasible_trial_note_says_which_limit_is_exceeded():
    trial = _complete()
    trial.system_attrs = {"constraints:max_lut": 234.0, "constraints:max_dsp": -10.0}
    assert "**infeasible:** max_lut exceeded by 234" in trial_note(trial, OBJECTIVES).splitlines()


def test_emulator_fallback_is_in_the_note():
    note = trial_note(_complete(emulator_used="hls4ml", fallback_reason="layer Foo not covered"), OBJECTIVES)
    assert "emulator: hls4ml (numpy emulator not used: layer Foo not covered)" in note.splitlines()


def test_failed_trial_note_says_why():
    trial = _trial(state=TrialState.FAIL, user_attrs={"design": DESIGN, "fail_reason": FAIL_REASON})
    note = trial_note(trial, OBJECTIVES)
    assert note.splitlines()[0] == "### Trial 7: FAIL"
    assert f"**failed:** {FAIL_REASON}" in note.splitlines()
    assert f"`{DESIGN_LINE}`" in note
    assert "| objective |" not in note  # no values


def test_failed_before_sampling_and_without_reason():
    note = trial_note(create_trial(state=TrialState.FAIL), OBJECTIVES)
    assert "**design** not sampled" in note.splitlines()
    assert "**failed:** no reason recorded" in note.splitlines()


def test_pruned_trial_note_says_why_and_shows_the_estimate():
    trial = _trial(state=TrialState.PRUNED, user_attrs={
        "design": DESIGN, "prune_reason": PRUNE_REASON, "pretrain_estimate": {"lut": 91000.0, "dsp": 300.0}})
    lines = trial_note(trial, OBJECTIVES).splitlines()
    assert lines[0] == "### Trial 7: PRUNED"
    assert f"**pruned:** {PRUNE_REASON}" in lines
    assert "pre-training estimate: lut 91,000 · dsp 300" in lines


def test_reasons_cannot_break_the_markdown():
    reason = "ValueError: bad | table <script>alert(1)</script> `x` *y*\nsecond line"
    note = trial_note(create_trial(state=TrialState.FAIL, user_attrs={"fail_reason": reason}), OBJECTIVES)
    line = next(x for x in note.splitlines() if x.startswith("**failed:**"))
    assert line == (r"**failed:** ValueError: bad \| table \<script>alert(1)\</script> \`x\` \*y\* second line")


@pytest.mark.parametrize("value, text", [(1234.0, "1,234"), (1234, "1,234"), (0.7512345, "0.7512"),
                                         (1.25e-05, "1.25e-05"), (62.5, "62.5"), (0.0, "0"), (True, "True"),
                                         (float("inf"), "inf"), ([4, 6], "4, 6"), ("csynth", "csynth")])
def test_format_value(value, text):
    assert format_value(value) == text


def test_run_study_notes_every_finished_trial(tmp_path: Path):
    """Through the real `run_study`: COMPLETE, FAIL and PRUNED trials each get their note, and the
    caller's `on_trial_end` is still called for each of them."""
    made = make_study(tmp_path)
    assert made.ended == [(0, "COMPLETE"), (1, "COMPLETE"), (2, "FAIL"), (3, "PRUNED")]
    notes = {t.number: get_note(trial_ref(made.study, t)) for t in made.study.trials}
    assert notes[0].startswith("### Trial 0: COMPLETE") and "| lut | 1,234 | estimate:analytic |" in notes[0]
    assert notes[1].startswith("### Trial 1: COMPLETE") and "| lut | 812 | estimate:analytic |" in notes[1]
    assert f"**failed:** {FAIL_REASON}" in notes[2]
    assert f"**pruned:** {PRUNE_REASON}" in notes[3]
    for number, trial in enumerate(made.study.trials):  # the note is the builder's text of the stored trial
        assert notes[number] == trial_note(trial, made.study.metric_names)


def _small_study(tmp_path: Path) -> optuna.Study:
    cfg = load_config(QUICKSTART).model_copy(update={"artifacts_dir": str(tmp_path / "projects")})
    study, _ = open_study(cfg, f"sqlite:///{tmp_path / 's.db'}", "small")
    return study


def _objective(trial: optuna.Trial) -> tuple[float, float, float]:
    if trial.number == 0:
        trial.set_user_attr("fail_reason", "RuntimeError: NaN loss")
        raise TrialFailed("RuntimeError: NaN loss")
    trial.set_user_attr("metrics", {"emulated_accuracy": 0.7, "accuracy_gap": 0.01, "lut": 900.0})
    return 0.7, 0.01, 900.0


def test_note_is_saved_before_on_trial_end(tmp_path: Path):
    study = _small_study(tmp_path)
    seen: list[str] = []
    run_study(study, _objective, 2,  # type: ignore[arg-type]
              on_trial_end=lambda s, t: seen.append(get_note(trial_ref(s, t))))
    assert seen[0].startswith("### Trial 0: FAIL") and seen[1].startswith("### Trial 1: COMPLETE")


def test_a_note_that_cannot_be_saved_does_not_stop_the_study(tmp_path: Path, monkeypatch, caplog):
    import optuna_dashboard

    def broken(*args, **kwargs):
        raise RuntimeError("storage went away")

    monkeypatch.setattr(optuna_dashboard, "save_note", broken)
    study = _small_study(tmp_path)
    ended: list[str] = []
    with caplog.at_level(logging.WARNING, logger="sweep.notes"):
        run_study(study, _objective, 2, on_trial_end=lambda s, t: ended.append(t.state.name))  # type: ignore[arg-type]
    assert [t.state.name for t in study.trials] == ended == ["FAIL", "COMPLETE"]
    assert [r.getMessage() for r in caplog.records] == [
        "trial 0: note for optuna-dashboard not saved: RuntimeError: storage went away",
        "trial 1: note for optuna-dashboard not saved: RuntimeError: storage went away"]


def test_save_trial_note_skips_unfinished_trials(tmp_path: Path):
    study = _small_study(tmp_path)
    trial = study.ask()
    save_trial_note(study, study.trials[trial.number])  # RUNNING: nothing stored
    assert get_note(trial) == ""
