#!/usr/bin/env bash
# hls-sweep workers as a SLURM job array: every array task runs `sweep worker` on one stored study.
# A plain bash script (the #SBATCH lines are comments elsewhere): cluster/htcondor_workers.sub runs it too.
#
#   export HLS_SWEEP_STORAGE=postgresql://user@dbhost/db    # no password in it: use ~/.pgpass or PGPASSWORD
#   export HLS_SWEEP_STUDY=deepsets_jets                    # created before with `sweep run STUDY.yaml --storage ...`
#   sbatch cluster/slurm_workers.sh                         # from the repository root (or set HLS_SWEEP_VENV)
#   sbatch --array=0-15%8 cluster/slurm_workers.sh          # 16 workers, at most 8 at a time
#
# Environment (sbatch passes the submitting shell's environment to the tasks):
#   HLS_SWEEP_STORAGE          storage URL of the study (required)
#   HLS_SWEEP_STUDY            study name (required)
#   HLS_SWEEP_TRIALS_PER_TASK  at most this many trials per task (optional; every worker stops anyway once
#                              the study has its n_trials done)
#   HLS_SWEEP_TIMEOUT          seconds after which a task starts no new trial (optional)
#   HLS_SWEEP_VENV             the project's virtualenv (default: <submit dir>/.venv)
#   HLS_SWEEP_WORKDIR          working directory of the workers (default: the submit dir)
#   HLS_SWEEP_CACHE            data cache (default ~/.cache/hls-sweep)
# The study's artifact store (its absolute path is stored in the study) and the data cache must be on a file
# system every node mounts. On a shared file system without a database, journal:///PATH is a storage too.
#SBATCH --job-name=hls-sweep-worker
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=08:00:00
#SBATCH --output=hls-sweep-worker-%A_%a.log
set -euo pipefail

: "${HLS_SWEEP_STORAGE:?set HLS_SWEEP_STORAGE to the storage URL of the study}"
: "${HLS_SWEEP_STUDY:?set HLS_SWEEP_STUDY to the study name}"
submit_dir="${SLURM_SUBMIT_DIR:-$PWD}"
venv="${HLS_SWEEP_VENV:-$submit_dir/.venv}"
if [[ ! -x "$venv/bin/sweep" ]]; then
    echo "error: no sweep in $venv/bin (set HLS_SWEEP_VENV to the project's virtualenv)" >&2
    exit 2
fi
set +u  # activate scripts need not be nounset-clean
# shellcheck disable=SC1091
source "$venv/bin/activate"
set -u
cd "${HLS_SWEEP_WORKDIR:-$submit_dir}"

# One BLAS/OpenMP thread per allocated CPU (SLURM's, else HTCondor's OMP_NUM_THREADS); quiet TF/hls4ml logs.
threads="${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-1}}"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"

# `sweep worker` reads the storage URL from $HLS_SWEEP_STORAGE itself: it never shows in the process list.
export HLS_SWEEP_STORAGE
args=(worker --study-name "$HLS_SWEEP_STUDY")
if [[ -n "${HLS_SWEEP_TRIALS_PER_TASK:-}" ]]; then
    args+=(--n-trials "$HLS_SWEEP_TRIALS_PER_TASK")
fi
if [[ -n "${HLS_SWEEP_TIMEOUT:-}" ]]; then
    args+=(--timeout "$HLS_SWEEP_TIMEOUT")
fi

# The storage URL as it may be shown: a password in it (better kept in ~/.pgpass) becomes ***.
shown_url() { printf '%s\n' "$1" | sed -E 's#(://[^:/?#@]*:).*@#\1***@#; s#([?&]password=)[^&#]*#\1***#I'; }
shown_storage=$(shown_url "$HLS_SWEEP_STORAGE")
echo "hls-sweep worker: array task ${SLURM_ARRAY_TASK_ID:-none} of job ${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-none}}" \
     "on $(hostname -s), study $HLS_SWEEP_STUDY in $shown_storage, $threads CPU(s)"
exec sweep "${args[@]}"
