"""Record one public hls4ml run (weights and C-synthesis report from one commit) as a residual-table fixture.

    python bench/record_synthesis.py --git-dir MIRROR.git --commit SHA --folder path/to/hls4ml_prj \
        --repo owner/name --case my_case [--project myproject] [--backend Vivado|Vitis]

Reads the project at that commit straight from the repository's git directory: the firmware
(``hls_workers.firmware_network``: layer calls, ``defines.h`` types, ``parameters.h``, ``weights/*.txt``) and
``<project>_prj/solution1/syn/report/<project>_csynth.rpt`` (``hls_workers.estimate.csynth_text``), and
writes ``tests/fixtures/mlp_syntheses/<case>/``: the weight files byte for byte, ``model.json`` (the
network as the firmware declares it, with the report's clock uncertainty and the config's backend),
``report.json``, ``hls4ml_config.yml`` and ``source.json`` (repository, path and commit of every file). The
case then joins ``bench/estimate_residuals.py`` (as "not modelled" until ``SPLIT`` names its group).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "tests" / "fixtures" / "mlp_syntheses"


def _show(git_dir: str, commit: str, path: str) -> bytes:
    result = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"], capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"error: {path} not found at {commit[:12]}: {result.stderr.decode().strip()}")
    return result.stdout


def _list(git_dir: str, commit: str, folder: str) -> list[str]:
    result = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", commit, folder + "/"],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()


def _backend(config: Path, given: str | None) -> str:
    """--backend, else the config's ``Backend`` (read with the estimator's tag-tolerant config reader)."""
    from hls_workers.user_config import load_document

    backend = given or load_document(config).get("Backend")
    if not backend:
        raise SystemExit("error: the project's hls4ml_config.yml names no Backend; give --backend")
    return str(backend)


def record(git_dir: str, commit: str, folder: str, repo: str, case: str, project: str = "myproject",
           backend: str | None = None, out: Path = DEFAULT_OUT) -> Path:
    """Write the fixture folder ``out/case`` and return it."""
    from hls_workers.estimate.csynth_text import parse_csynth_rpt
    from hls_workers.firmware_network import read_firmware

    folder = folder.rstrip("/")
    files = [f for f in _list(git_dir, commit, folder) if "/firmware/" in f and "/nnet_utils/" not in f
             and "/ap_types/" not in f and f.endswith((".cpp", ".h", ".txt"))]
    source = []

    def cite(saved_as: str, path: str) -> None:
        source.append({"saved_as": saved_as, "repo": repo, "path": path, "commit": commit})

    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            target = Path(tmp) / path[len(folder) + 1:]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_show(git_dir, commit, path))
        description = read_firmware(tmp, project)
        destination = out / case
        (destination / "weights").mkdir(parents=True, exist_ok=True)
        for layer in description["layers"]:
            for key in ("w_file", "b_file") if layer["kind"] == "dense" else ():
                name = f"{layer[key]}.txt"
                (destination / "weights" / name).write_bytes((Path(tmp) / "firmware" / "weights" / name).read_bytes())
                cite(f"weights/{name}", f"{folder}/firmware/weights/{name}")
    config = destination / "hls4ml_config.yml"
    config.write_bytes(_show(git_dir, commit, f"{folder}/hls4ml_config.yml"))
    cite("hls4ml_config.yml", f"{folder}/hls4ml_config.yml")
    report_path = f"{folder}/{project}_prj/solution1/syn/report/{project}_csynth.rpt"
    report = parse_csynth_rpt(_show(git_dir, commit, report_path).decode(errors="replace"))
    report["source"] = {"repo": repo, "path": report_path, "commit": commit}
    report["n_nonzeros"] = [layer["n_nonzeros"] for layer in description["layers"] if layer["kind"] == "dense"]
    model = {**description, "clock_uncertainty": round(report["clock_uncertainty_ns"] / report["clock_target_ns"], 4),
             "backend": _backend(config, backend)}
    (destination / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    (destination / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    cite(f"model.json (from defines.h, parameters.h, {project}.cpp)",
         f"{folder}/firmware/{{defines.h,parameters.h,{project}.cpp}}")
    cite("report.json (extracted from)", report_path)
    (destination / "source.json").write_text(json.dumps({"files": source}, indent=2) + "\n")
    return destination


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", required=True, help="the repository's git directory (a mirror or .git)")
    parser.add_argument("--commit", required=True)
    parser.add_argument("--folder", required=True, help="the hls4ml project folder inside the repository")
    parser.add_argument("--repo", required=True, help="owner/name, cited in source.json and report.json")
    parser.add_argument("--case", required=True, help="fixture folder name")
    parser.add_argument("--project", default="myproject", help="hls4ml ProjectName (default myproject)")
    parser.add_argument("--backend", help="hls4ml backend, when the config names none")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    path = record(args.git_dir, args.commit, args.folder, args.repo, args.case, args.project, args.backend, args.out)
    print(f"recorded {path}")


if __name__ == "__main__":
    main()
