# hls-sweep worker: joins a stored study and runs its trials (`sweep worker --storage URL --study-name NAME`).
# Build from the repository root:  docker build -f docker/worker.Dockerfile -t hls-sweep-worker .
# The Python stack is exactly requirements.lock, installed with the Makefile's own pip commands.
FROM python:3.11-slim-bookworm

# g++ and make: hls4ml compiles its C++ emulation (cross-checks, and graphs the numpy emulator does not cover)
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make \
 && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONWARNINGS=ignore \
    HLS_SWEEP_CACHE=/data/cache

# The locked stack first (its own layer: rebuilt only when the lock changes), as the Makefile's setup does
COPY requirements.lock /app/requirements.lock
RUN python -m venv /opt/venv \
 && pip install -q --upgrade pip \
 && pip install -q -r /app/requirements.lock

# Then the project itself, without dependencies (everything it needs is in the lock)
COPY pyproject.toml README.md /app/
COPY sweep /app/sweep
COPY hls_workers /app/hls_workers
COPY studies /app/studies
RUN pip install -q --no-deps /app

# An unprivileged user; /data is the shared volume (artifact store, trial folders, data cache) and the
# working directory, so relative artifact paths of a study resolve to the same absolute path everywhere.
RUN useradd --create-home --uid 1000 sweep \
 && mkdir -p /data/cache \
 && chown -R sweep:sweep /data
USER sweep
WORKDIR /data

ENTRYPOINT ["sweep", "worker"]
