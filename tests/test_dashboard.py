"""`sweep dashboard` (issue 10, item 1): the real optuna-dashboard started by the CLI on a study made by
`run_study` (tests/dashboard_study.py), checked over its HTTP API and in headless Chromium.

Over HTTP: the study list, the study detail (trials, objective names, each trial's note, each trial's
artifacts) and the artifact download route. In Chromium: the study page renders the Pareto-front plot
(plotly SVG with one point per COMPLETE trial, labelled with the objective names) and the trials page
shows the notes and the artifact; screenshots are kept in tests/output/. Bad input (port in use, unknown
study, missing SQLite file, artifact store folder missing, bad host) is one `error:` line and exit 2.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from dashboard_study import FAIL_REASON, PRUNE_REASON, MadeStudy, make_study
from sweep.notes import trial_note

optuna.logging.set_verbosity(optuna.logging.ERROR)

SWEEP = str(Path(sys.executable).with_name("sweep"))
OUTPUT = Path(__file__).resolve().parent / "output"
OBJECTIVES = ["emulated_accuracy", "accuracy_gap", "lut"]  # studies/quickstart.yaml
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def get_json(url: str) -> dict:
    status, _, body = get(url)
    assert status == 200
    return json.loads(body)


class Dashboard:
    def __init__(self, made: MadeStudy, folder: Path, **popen) -> None:
        self.made = made
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout, self.stderr = folder / "stdout.txt", folder / "stderr.txt"
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen([SWEEP, "dashboard", "--storage", made.url, "--port", str(self.port)],
                                            stdout=out, stderr=err, stdin=subprocess.DEVNULL, **popen)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"sweep dashboard exited {self.process.returncode}: {self.stderr.read_text()}")
            try:
                get(f"{self.base}/api/meta")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"sweep dashboard did not answer in 60 s: {self.stderr.read_text()}")
                time.sleep(0.3)
        self.study_id = made.study._study_id

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    server = Dashboard(make_study(folder), folder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def detail(dashboard) -> dict:
    return get_json(f"{dashboard.base}/api/studies/{dashboard.study_id}?after=0")


# --- over HTTP -------------------------------------------------------------------------------------

def test_prints_the_study_url_and_attaches_its_artifact_store(dashboard):
    printed = dashboard.stdout.read_text()
    assert f"open http://127.0.0.1:{dashboard.port}/dashboard/studies/{dashboard.study_id}" in printed
    assert dashboard.stderr.read_text().splitlines() == [
        f"artifact store {dashboard.made.store_dir} attached (study 'watch')"]
    assert get_json(f"{dashboard.base}/api/meta")["artifact_is_available"] is True


def _outward_address() -> str | None:
    """An address of this machine that is not loopback (a UDP connect sends nothing), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def test_listens_on_loopback_only(dashboard):
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, dashboard.port), timeout=5).close()


def test_study_list_api(dashboard):
    studies = get_json(f"{dashboard.base}/api/studies")["study_summaries"]
    assert [(s["study_id"], s["study_name"]) for s in studies] == [(dashboard.study_id, "watch")]
    assert studies[0]["directions"] == ["maximize", "minimize", "minimize"]


def test_study_detail_api_has_trials_and_objective_names(detail):
    assert detail["name"] == "watch"
    assert detail["objective_names"] == OBJECTIVES
    assert [(t["number"], t["state"]) for t in detail["trials"]] == [
        (0, "Complete"), (1, "Complete"), (2, "Fail"), (3, "Pruned")]
    assert [t["values"] for t in detail["trials"][:2]] == [[0.7512, 0.0125, 1234.0], [0.6801, 1.25e-05, 812.0]]
    assert sorted(t["number"] for t in detail["best_trials"]) == [0, 1]


def test_each_trial_has_its_note(dashboard, detail):
    notes = {t["number"]: t["note"]["body"] for t in detail["trials"]}
    stored = {t.number: t for t in dashboard.made.study.trials}
    for number, body in notes.items():  # what run_study saved is what the dashboard serves
        assert body == trial_note(stored[number], OBJECTIVES)
    assert "| lut | 1,234 | estimate:analytic |" in notes[0].splitlines()
    assert "| dsp | 56 | estimate:analytic |" in notes[0].splitlines()
    assert "**infeasible:** max_lut exceeded by 234" in notes[0].splitlines()
    assert "| lut | 812 | estimate:analytic |" in notes[1].splitlines()
    assert f"**failed:** {FAIL_REASON}" in notes[2].splitlines()
    assert f"**pruned:** {PRUNE_REASON}" in notes[3].splitlines()
    assert all(re.search(r"^\*\*design\*\* `.+ \| w\d+\.\d+ a\d+\.\d+ \| sp[\d.]+ rf1 qat`$", n, re.M)
               for n in notes.values())


def test_each_complete_trial_lists_its_artifact_and_serves_it(dashboard, detail):
    for trial in detail["trials"]:
        artifacts = trial["artifacts"]
        if trial["state"] != "Complete":
            assert artifacts == []
            continue
        ids = dashboard.made.study.trials[trial["number"]].user_attrs["artifact_ids"]
        assert [(a["artifact_id"], a["filename"], a["mimetype"]) for a in artifacts] == [
            (ids["hardware_cost"], f"hardware_cost_{trial['number']}.json", "application/json")]
        status, content_type, body = get(
            f"{dashboard.base}/artifacts/{dashboard.study_id}/{trial['trial_id']}/{artifacts[0]['artifact_id']}")
        assert (status, content_type) == (200, "application/json")
        assert body == dashboard.made.artifact_bytes[trial["number"]]


def test_unknown_artifact_is_404(dashboard, detail):
    trial_id = detail["trials"][0]["trial_id"]
    with pytest.raises(urllib.error.HTTPError) as info:
        get(f"{dashboard.base}/artifacts/{dashboard.study_id}/{trial_id}/00000000-0000-0000-0000-000000000000")
    assert info.value.code == 404


def test_shows_trials_finished_while_it_runs_and_stops_on_ctrl_c(tmp_path):
    """Watching a running study: a trial that ends after the dashboard started (with its note) is served;
    Ctrl-C stops the server with exit status 0 and frees the port."""
    from sweep.notes import save_trial_note  # what run_study calls when a trial ends

    made = make_study(tmp_path)
    # a test run started in the background inherits an ignored SIGINT: give the server Ctrl-C back
    server = Dashboard(made, tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = f"{server.base}/api/studies/{server.study_id}?after=0"
        assert len(get_json(url)["trials"]) == 4
        trial = made.study.ask()
        trial.set_user_attr("fail_reason", "RuntimeError: NaN loss")
        made.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        save_trial_note(made.study, made.study.trials[trial.number])
        deadline = time.monotonic() + 30
        while len(trials := get_json(url)["trials"]) < 5 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (trials[4]["number"], trials[4]["state"]) == (4, "Fail")
        assert "**failed:** RuntimeError: NaN loss" in trials[4]["note"]["body"].splitlines()
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
        assert server.stderr.read_text().splitlines()[-1] == "dashboard stopped"
        with socket.socket() as sock:  # the port is free again
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", server.port))
    finally:
        server.stop()


# --- in headless Chromium --------------------------------------------------------------------------

def chromium(url: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", "--virtual-time-budget=15000", *args, url],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                    "(.ci/run installs it; `apt-get install -y chromium`)")


def _element(dom: str, element_id: str) -> str:
    """The HTML from the element with ``id`` to the start of the next top-level card (enough to search)."""
    start = dom.index(f'id="{element_id}"')
    end = dom.find('class="MuiPaper-root', start)
    return dom[start:end if end > 0 else len(dom)]


@needs_chromium
def test_study_page_renders_the_pareto_front(dashboard, tmp_path):
    url = f"{dashboard.base}/dashboard/studies/{dashboard.study_id}"
    dom = chromium(url, tmp_path / "profile", "--dump-dom")
    pareto = _element(dom, "graph-pareto-front")
    assert 'class="main-svg"' in pareto  # plotly drew the plot
    assert pareto.count('class="point"') == 2  # one marker per COMPLETE trial
    assert "Pareto Front" in dom
    for name in OBJECTIVES:  # the objective selectors and axes carry the metric names
        assert f">{name}<" in dom
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "dashboard_pareto.png"
    shot.unlink(missing_ok=True)
    chromium(url, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1400,1000")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


@needs_chromium
def test_trials_page_shows_notes_and_artifacts(dashboard, tmp_path):
    url = f"{dashboard.base}/dashboard/studies/{dashboard.study_id}/trials"
    dom = chromium(url, tmp_path / "profile", "--dump-dom")
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "Trial 0: COMPLETE" in text  # trial 0's note, rendered from markdown
    assert re.search(r"lut\s+1,234\s+estimate:analytic", text)
    assert "<table" in dom  # the note's tables are rendered as tables
    assert "hardware_cost_0.json" in text  # its artifact
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "dashboard_trials.png"
    shot.unlink(missing_ok=True)
    chromium(url, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1400,1600")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


# --- bad input: one error line, exit 2 -------------------------------------------------------------

def run_sweep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SWEEP, "dashboard", *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def assert_one_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def plain_storage(tmp_path_factory) -> tuple[str, Path]:
    """A storage with one study whose artifact store folder has gone."""
    folder = tmp_path_factory.mktemp("plain")
    url = f"sqlite:///{folder / 's.db'}"
    study = optuna.create_study(study_name="moved", storage=url, directions=["maximize", "minimize"])
    study.set_user_attr("artifact_store", str(folder / "gone"))
    return url, folder


def test_port_in_use(plain_storage):
    url, folder = plain_storage
    (folder / "gone").mkdir(exist_ok=True)
    try:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            assert_one_error(run_sweep("--storage", url, "--port", str(port)),
                             f"port {port} on 127.0.0.1 is already in use", "--port")
    finally:
        (folder / "gone").rmdir()


def test_unknown_study(plain_storage):
    url, _ = plain_storage
    assert_one_error(run_sweep("--storage", url, "--study-name", "nope", "--port", str(free_port())),
                     "no study 'nope'")


def test_missing_sqlite_file(tmp_path):
    missing = tmp_path / "missing.db"
    assert_one_error(run_sweep("--storage", f"sqlite:///{missing}", "--port", str(free_port())),
                     "no such SQLite file")
    assert not missing.exists()  # nothing created


def test_artifact_store_folder_missing(plain_storage):
    url, folder = plain_storage
    assert_one_error(run_sweep("--storage", url, "--port", str(free_port())),
                     f"artifact store {folder / 'gone'} of study 'moved' does not exist")
    assert not (folder / "gone").exists()  # not created either


def _foreign_address() -> str:
    """A documentation address (RFC 5737) that is not one of this machine's."""
    for address in ("198.51.100.77", "203.0.113.77", "192.0.2.77"):
        with socket.socket() as sock:
            try:
                sock.bind((address, 0))
            except OSError:
                return address
    pytest.skip("every documentation address tried is assigned to this machine")


def test_host_that_is_not_local(plain_storage):
    url, folder = plain_storage
    (folder / "gone").mkdir(exist_ok=True)
    address = _foreign_address()
    try:
        assert_one_error(run_sweep("--storage", url, "--host", address, "--port", str(free_port())),
                         f"--host '{address}': not an address of this machine")
    finally:
        (folder / "gone").rmdir()


def test_bad_port_value(plain_storage):
    url, _ = plain_storage
    done = run_sweep("--storage", url, "--port", "70000")
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


# --- which artifact store is attached (in process) -------------------------------------------------

def _studies(tmp_path: Path, stores: dict[str, str | None]) -> list:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    for name, store in stores.items():
        study = optuna.create_study(study_name=name, storage=url)
        if store is not None:
            (tmp_path / store).mkdir(exist_ok=True)
            study.set_user_attr("artifact_store", str(tmp_path / store))
    storage = optuna.storages.RDBStorage(url)
    return sorted(storage.get_all_studies(), key=lambda s: s._study_id)


def test_disagreeing_studies_attach_the_most_used_store_and_say_so(tmp_path):
    from sweep.cli.dashboard import _artifact_store_path

    studies = _studies(tmp_path, {"a": "one", "b": "one", "c": "two", "d": None})
    path, messages = _artifact_store_path(studies, named=False)
    assert path == tmp_path / "one"
    assert messages == [f"artifact store {tmp_path / 'one'} attached (study 'a', 'b')",
                        f"study 'c' keeps its artifacts in {tmp_path / 'two'}, not served now: "
                        "`sweep dashboard --study-name c` serves them"]
    path, messages = _artifact_store_path([s for s in studies if s.study_name == "c"], named=True)
    assert (path, messages) == (tmp_path / "two", [f"artifact store {tmp_path / 'two'} attached (study 'c')"])
    # a tie: the newest study's store
    assert _artifact_store_path(studies[2:], named=False)[0] == tmp_path / "two"


def test_reads_the_attribute_that_sweep_artifacts_writes():
    from sweep.artifacts import STORE_ATTR
    from sweep.cli.dashboard import ARTIFACT_STORE_ATTR

    assert ARTIFACT_STORE_ATTR == STORE_ATTR == "artifact_store"


def test_no_artifact_store_is_said(tmp_path):
    from sweep.cli.dashboard import _artifact_store_path

    studies = _studies(tmp_path, {"a": None, "b": None})
    assert _artifact_store_path(studies, named=False) == (
        None, ["no study here has an artifact store: trial artifacts are not served"])
    assert _artifact_store_path(studies[:1], named=True) == (
        None, ["study 'a' has no artifact store: trial artifacts are not served"])
    assert _artifact_store_path([], named=False) == (None, [])
