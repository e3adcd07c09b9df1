"""`sweep data generate` then `sweep data info --json` on its output, through the real CLI and generator."""

from __future__ import annotations

import json
from pathlib import Path

from sweep.cli import main


def test_generate_then_info(tmp_path: Path, capsys) -> None:
    out = tmp_path / "jets"
    assert main(["data", "generate", "--out", str(out), "--jets-per-class", "4", "--seed", "3",
                 "--chunk-size", "4", "--classes", "w,t"]) == 0
    capsys.readouterr()
    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_jets"] == 8
    assert info["per_class"] == {"w": 4, "t": 4}
    assert info["format"] == "jets150p"

    # Same command again: everything is there already, nothing is regenerated, same answer.
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.h5")}
    assert main(["data", "generate", "--out", str(out), "--jets-per-class", "4", "--seed", "3",
                 "--chunk-size", "4", "--classes", "w,t"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.h5")} == before
