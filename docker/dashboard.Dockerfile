# hls-sweep dashboard: optuna-dashboard (pinned in requirements.lock) through `sweep dashboard`, which
# attaches the study's artifact store and adds trial notes. Listens on 0.0.0.0:8080 inside the container.
# Build from the repository root:  docker build -f docker/dashboard.Dockerfile -t hls-sweep-dashboard .
FROM python:3.11-slim-bookworm

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONWARNINGS=ignore \
    HLS_SWEEP_CACHE=/data/cache

# The same locked stack as the workers, installed with the Makefile's own pip commands
COPY requirements.lock /app/requirements.lock
RUN python -m venv /opt/venv \
 && pip install -q --upgrade pip \
 && pip install -q -r /app/requirements.lock

COPY pyproject.toml README.md /app/
COPY sweep /app/sweep
COPY hls_workers /app/hls_workers
RUN pip install -q --no-deps /app

RUN useradd --create-home --uid 1000 sweep \
 && mkdir -p /data/cache \
 && chown -R sweep:sweep /data
USER sweep
WORKDIR /data

EXPOSE 8080
ENTRYPOINT ["sweep", "dashboard", "--host", "0.0.0.0", "--port", "8080"]
