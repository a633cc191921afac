"""The multi-worker launcher, with tiny Python programs as its workers (no TensorFlow).

Workers are really started, really killed and really left to ignore SIGTERM; each writes its
pid to a file, and every test kills whatever of its workers is still running when it ends,
passed or failed. Waits inside the workers are bounded (WAIT), so a launcher that misbehaves
fails a test in seconds instead of hanging it.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from netspec.train import launcher
from netspec.train.launcher import free_ports, launch, tf_config

WAIT = 20  # seconds a worker waits for a file before it gives up with code 99

PRELUDE = f"""\
import json, os, signal, sys, time
from pathlib import Path

HERE = Path(__file__).parent
CONFIG = json.loads(os.environ["TF_CONFIG"])
INDEX = CONFIG["task"]["index"]

def mark(name, text=""):
    (HERE / f".{{name}}.tmp").write_text(text)
    (HERE / f".{{name}}.tmp").replace(HERE / name)

def wait_for(name, timeout={WAIT}):
    deadline = time.monotonic() + timeout
    while not (HERE / name).exists():
        if time.monotonic() > deadline:
            sys.exit(99)
        time.sleep(0.01)

mark(f"pid-{{INDEX}}", str(os.getpid()))
"""


class Job:
    """A worker program in its own folder, and its pids as the workers wrote them."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir()
        self.script = folder / "worker.py"

    def command(self, body: str) -> list[str]:
        self.script.write_text(PRELUDE + textwrap.dedent(body))
        return [sys.executable, str(self.script)]

    def pid(self, index: int) -> int:
        return int((self.folder / f"pid-{index}").read_text())

    def wait_for(self, *names: str) -> None:
        deadline = time.monotonic() + WAIT
        while not all((self.folder / name).exists() for name in names):
            assert time.monotonic() < deadline, f"the workers never wrote {names}"
            time.sleep(0.01)

    def running(self) -> list[int]:
        """Pids of this job's workers that are still running."""
        pids = [int(p.read_text()) for p in self.folder.glob("pid-*")]
        if Path("/proc/self/cmdline").exists():  # also those killed before they wrote a pid
            for entry in Path("/proc").iterdir():
                try:
                    if entry.name.isdigit() and str(self.script).encode() in (
                        (entry / "cmdline").read_bytes()
                    ):
                        pids.append(int(entry.name))
                except OSError:
                    pass
        return sorted({pid for pid in pids if running(pid)})


def running(pid: int) -> bool:
    """Whether `pid` runs: not gone, and not a zombie left to a parent that does not reap."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@pytest.fixture
def job(tmp_path):
    job = Job(tmp_path / "job")
    try:
        yield job
    finally:
        for pid in job.running():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def launcher_process(tmp_path):
    """Start `launch(command, workers)` in a child process of its own session, as a terminal
    runs `netspec train`; the child and all it started are killed after the test."""
    started = []

    def start(command: list[str], workers: int, grace: float = 5.0) -> subprocess.Popen:
        program = textwrap.dedent(f"""\
            import signal, sys
            from netspec.train.launcher import launch
            signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited ignored
            sys.exit(launch({command!r}, {workers}, log_dir={str(tmp_path / "logs")!r},
                            grace={grace}))
            """)
        child = subprocess.Popen(
            [sys.executable, "-c", program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(child)
        return child

    try:
        yield start
    finally:
        for child in started:
            if child.poll() is None:
                child.kill()
            child.communicate()


def test_free_ports_are_distinct_and_free_on_localhost():
    import socket

    ports = free_ports(5)
    assert len(set(ports)) == 5
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_tf_config_names_every_worker_on_localhost_and_this_ones_index():
    assert tf_config([4001, 4002, 4003], 2) == {
        "cluster": {"worker": ["127.0.0.1:4001", "127.0.0.1:4002", "127.0.0.1:4003"]},
        "task": {"type": "worker", "index": 2},
    }


def test_each_worker_gets_its_tf_config_and_only_the_chief_is_shown(job, tmp_path, capsys):
    command = job.command("""
        print(json.dumps({"config": CONFIG, "unbuffered": os.environ["PYTHONUNBUFFERED"]}))
        print(f"stderr of worker {INDEX}", file=sys.stderr)
    """)
    logs = tmp_path / "logs" / "job"  # created by launch
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    assert launch(command, 3, log_dir=logs) == 0

    out, err = capsys.readouterr()
    assert err == "stderr of worker 0\n"
    chief = json.loads(out)
    assert chief == {"config": tf_config(_ports(chief), 0), "unbuffered": "1"}
    assert sorted(p.name for p in logs.iterdir()) == ["worker-1.log", "worker-2.log"]
    for index in (1, 2):
        config_line, stderr_line = (logs / f"worker-{index}.log").read_text().splitlines()
        assert json.loads(config_line)["config"] == tf_config(_ports(chief), index)
        assert stderr_line == f"stderr of worker {index}"
    ports = _ports(chief)
    assert len(set(ports)) == 3 and all(1024 <= port < 65536 for port in ports)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    assert job.running() == []


def _ports(output: dict) -> list[int]:
    hosts, ports = zip(*(a.split(":") for a in output["config"]["cluster"]["worker"]))
    assert set(hosts) == {"127.0.0.1"}
    return [int(port) for port in ports]


def test_the_chiefs_output_is_streamed_while_it_runs(job, tmp_path, monkeypatch):
    # The chief goes on only once the test has seen its first line: buffered output would
    # leave it waiting, and it would give up with code 99.
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)  # launch must set it
    command = job.command("""
        print("ready")
        wait_for("go")
        print("went")
    """)

    class Watching(io.StringIO):
        def write(self, text):
            super().write(text)
            if "ready" in self.getvalue():
                (job.folder / "go").touch()
            return len(text)

    stdout = Watching()
    assert launch(command, 1, log_dir=tmp_path / "logs", stdout=stdout) == 0
    assert stdout.getvalue() == "ready\nwent\n"
    assert not (tmp_path / "logs").exists()  # one worker: no logs to write


def test_launch_runs_outside_the_main_thread_too(job, tmp_path):
    command = job.command("print(INDEX)")
    stdout, result = io.StringIO(), []
    thread = threading.Thread(
        target=lambda: result.append(launch(command, 2, log_dir=tmp_path, stdout=stdout))
    )
    thread.start()
    thread.join(timeout=WAIT)
    assert result == [0] and stdout.getvalue() == "0\n"


def test_a_worker_killed_by_sigkill_stops_the_job_at_once(job, tmp_path):
    command = job.command("""
        if INDEX == 1:
            wait_for("pid-0")
            print("about to die")
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
    """)
    stderr = io.StringIO()
    started = time.monotonic()

    code = launch(command, 2, log_dir=tmp_path / "logs", stderr=stderr, grace=10)

    assert code == 128 + signal.SIGKILL
    assert time.monotonic() - started < 5  # the chief stops on SIGTERM: no grace needed
    lines = stderr.getvalue().splitlines()
    assert lines[0] == "netspec: worker 1 of 2 died (killed by SIGKILL); stopping the others"
    assert lines[1] == f"  last lines of {tmp_path / 'logs' / 'worker-1.log'}:"
    assert lines[2:] == ["    about to die"]
    for index in (0, 1):
        with pytest.raises(ProcessLookupError):
            os.kill(job.pid(index), 0)


def test_a_failed_worker_decides_the_code_not_the_chief_it_stopped(job, tmp_path):
    # The chief exits 143 on SIGTERM, as the training code does; the job's code is the cause.
    command = job.command("""
        if INDEX == 1:
            wait_for("ready-0")
            print("\\n".join(f"line {i}" for i in range(30)))
            sys.exit(3)
        signal.signal(signal.SIGTERM, lambda *_: (mark("stopped-0"), sys.exit(143)))
        mark("ready-0")
        time.sleep(60)
    """)
    stderr = io.StringIO()

    assert launch(command, 2, log_dir=tmp_path / "logs", stderr=stderr) == 3

    lines = stderr.getvalue().splitlines()
    assert lines[0] == "netspec: worker 1 of 2 exited with code 3; stopping the others"
    assert lines[2:] == [f"    line {i}" for i in range(10, 30)]  # the last 20
    assert (job.folder / "stopped-0").exists()
    assert job.running() == []


def test_a_chief_that_fails_decides_the_code(job, tmp_path):
    command = job.command("""
        if INDEX == 0:
            wait_for("pid-1")
            print("chief's last words", file=sys.stderr)
            sys.exit(5)
        time.sleep(60)
    """)
    stderr = io.StringIO()

    assert launch(command, 2, log_dir=tmp_path / "logs", stderr=stderr) == 5

    assert stderr.getvalue() == (
        "chief's last words\nnetspec: worker 0 of 2 exited with code 5; stopping the others\n"
    )
    assert job.running() == []


def test_the_chiefs_code_wins_over_a_worker_that_failed_at_the_same_time(
    job, tmp_path, monkeypatch
):
    # One look at the workers finds both failed: worker 1 first, then the chief.
    monkeypatch.setattr(launcher, "POLL", 2.0)
    command = job.command("""
        if INDEX == 1:
            wait_for("pid-0")
            sys.exit(3)
        wait_for("pid-1")
        time.sleep(0.2)
        sys.exit(5)
    """)
    stderr = io.StringIO()

    assert launch(command, 2, log_dir=tmp_path / "logs", stderr=stderr) == 5

    lines = stderr.getvalue().splitlines()
    assert lines[0] == "netspec: worker 0 of 2 exited with code 5"
    assert lines[1] == "netspec: worker 1 of 2 exited with code 3"


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace_period(job, tmp_path):
    command = job.command("""
        if INDEX == 1:
            wait_for("ready-0")
            sys.exit(3)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        mark("ready-0")
        time.sleep(60)
    """)
    stderr = io.StringIO()
    started = time.monotonic()

    assert launch(command, 2, log_dir=tmp_path / "logs", stderr=stderr, grace=1) == 3

    assert 1 <= time.monotonic() - started < 10
    assert "netspec: worker 0 did not stop within 1s after SIGTERM; sending SIGKILL\n" in (
        stderr.getvalue()
    )
    with pytest.raises(ProcessLookupError):
        os.kill(job.pid(0), 0)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "ctrl-c"]
)
def test_a_signal_to_the_launcher_is_one_sigterm_to_each_worker(
    job, launcher_process, signum, code
):
    # Ctrl-C at a terminal goes to its whole process group: the launcher's, not the workers'.
    command = job.command("""
        signal.signal(signal.SIGTERM, lambda *_: (mark(f"stopped-{INDEX}"), sys.exit(143)))
        signal.signal(signal.SIGINT, lambda *_: mark(f"interrupted-{INDEX}"))
        mark(f"ready-{INDEX}")
        time.sleep(60)
    """)
    child = launcher_process(command, 2)
    job.wait_for("ready-0", "ready-1")

    os.killpg(child.pid, signum)
    _, stderr = child.communicate(timeout=WAIT)

    assert child.returncode == code, stderr
    assert stderr == "netspec: interrupted; stopping the 2 workers\n"
    assert {p.name for p in job.folder.glob("stopped-*")} == {"stopped-0", "stopped-1"}
    assert not list(job.folder.glob("interrupted-*"))
    assert job.running() == []


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_launcher_killed_by_sigkill(job, launcher_process):
    command = job.command("""
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        mark(f"ready-{INDEX}")
        time.sleep(60)
    """)
    child = launcher_process(command, 3)
    job.wait_for("ready-0", "ready-1", "ready-2")
    pids = [job.pid(index) for index in range(3)]

    child.kill()
    child.wait()

    deadline = time.monotonic() + 5
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in pids)


def test_workers_already_started_are_stopped_when_a_later_one_cannot_start(job, tmp_path):
    command = job.command("time.sleep(60)")
    logs = tmp_path / "logs"
    (logs / "worker-2.log").mkdir(parents=True)  # where worker 2's log must go

    with pytest.raises(IsADirectoryError):
        launch(command, 3, log_dir=logs, stderr=io.StringIO())

    assert job.running() == []
    assert (logs / "worker-1.log").exists()  # worker 1 had been started


def test_workers_must_be_at_least_one(tmp_path):
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        launch([sys.executable, "-c", "pass"], 0, log_dir=tmp_path)
