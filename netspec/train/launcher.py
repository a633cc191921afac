"""Run one training command as the N local workers of a MultiWorkerMirroredStrategy job.

Each worker is the same command with its own TF_CONFIG: one cluster of free ports on
127.0.0.1, and its own index in it. Worker 0 is the chief: its output is the job's output,
streamed through as it comes. The others write to `log_dir/worker-<i>.log`, shown in part only
when one of them fails. A job is only as alive as all its workers (a collective waits forever
for a peer that is gone), so the first worker to fail stops the others.

Stopping is always SIGTERM first (the training code saves its run on it, as on Ctrl-C), then
SIGKILL after `grace` seconds, and every worker is waited for before `launch` returns, whatever
happened. Ctrl-C and SIGTERM to the launcher are forwarded that way. The workers run in
process groups of their own, so that Ctrl-C at the terminal reaches the launcher alone and each
worker is asked to stop exactly once. That takes them out of the reach of the terminal's
signals, so on Linux each is also told to die with its launcher (PR_SET_PDEATHSIG): a launcher
killed with SIGKILL leaves no workers behind, waiting for peers that are gone. Their runs keep
the last checkpoint, which survives SIGKILL.

The cluster names 127.0.0.1 only, but TensorFlow's gRPC server listens on every interface
(`[::]:port`, whatever TF_CONFIG says; checked with TensorFlow 2.21), and the ports are only
free when they are picked: another program can take one before its worker binds it, and that
worker then fails with "address already in use".
"""

from __future__ import annotations

import codecs
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

POLL = 0.05  # seconds between looks at the workers
WORKER_DIR = "NETSPEC_WORKER_DIR"  # where a non-chief worker leaves its final weights, if set
TAIL = 20  # lines of a failed worker's log shown
_PR_SET_PDEATHSIG = 1


def free_ports(n: int) -> list[int]:
    """`n` distinct TCP ports that are free on 127.0.0.1 now (all are held open until all are
    chosen, so none is chosen twice)."""
    sockets = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: list[int], index: int) -> dict:
    """TF_CONFIG (before json.dumps) of worker `index` in a local cluster on `ports`."""
    return {
        "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
        "task": {"type": "worker", "index": index},
    }


def launch(
    command: list[str],
    workers: int,
    *,
    log_dir: Path,
    stdout=None,
    stderr=None,
    grace: float = 10.0,
) -> int:
    """Run `command` (an argv) as `workers` processes of one job; return the job's exit code.

    0 when every worker exits 0. When one fails, the others are stopped and the code is the
    chief's if it failed before it was stopped, else the first failed worker's (128 + N for
    signal N). 130 after Ctrl-C, 143 after SIGTERM.

    Worker 0's output goes to `stdout` and `stderr` (sys.stdout and sys.stderr by default) as
    it comes, the others' to `log_dir/worker-<i>.log` (the folder is created when needed);
    the launcher's own messages, one line each starting with "netspec: ", go to `stderr`.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    out = _Output(
        sys.stdout if stdout is None else stdout, sys.stderr if stderr is None else stderr
    )
    received: list[int] = []  # the signals the launcher got, in order
    procs: list[subprocess.Popen] = []
    copiers: list[threading.Thread] = []
    try:
        with signals_recorded(received):
            try:
                ports = free_ports(workers)
                for index in range(workers):
                    procs.append(_start(command, ports, index, log_dir))
                copiers = [
                    out.copy(procs[0].stdout, out.stdout),
                    out.copy(procs[0].stderr, out.stderr),
                ]
                codes = _watch(procs, received)
                if codes is None:
                    out.say(f"interrupted; stopping the {_workers(workers)}")
                    return 128 + received[0]
                failed = [index for index, code in enumerate(codes) if code not in (None, 0)]
                if not failed:
                    return 0
                if 0 in failed:  # its last words first, then ours
                    for thread in copiers:
                        thread.join(timeout=1.0)
                _report(failed, codes, out, Path(log_dir))
                # In index order: the chief's code wins if it failed, as its words were shown.
                return _exit_code(codes[failed[0]])
            finally:
                _stop(procs, grace, received, out)  # also on an exception: none is left running
    finally:
        for thread in copiers:
            thread.join(timeout=grace)  # EOF as soon as the chief is gone
        if not any(thread.is_alive() for thread in copiers) and procs:
            procs[0].stdout.close()
            procs[0].stderr.close()


def _workers(n: int) -> str:
    return "worker" if n == 1 else f"{n} workers"


def _start(command: list[str], ports: list[int], index: int, log_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TF_CONFIG": json.dumps(tf_config(ports, index)),
        "PYTHONUNBUFFERED": "1",
    }
    common = dict(env=env, stdin=subprocess.DEVNULL, preexec_fn=in_own_group(os.getpid()))
    if index == 0:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **common)
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"worker-{index}.log", "wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **common)


def in_own_group(launcher_pid: int):
    """The code a worker runs between fork and exec: a process group of its own, and (on Linux)
    SIGKILL when the launcher dies. Everything it calls is looked up before the fork.

    The death signal comes when the thread that started the worker ends, not only the process;
    launch waits for its workers, so that thread outlives them unless the launcher dies."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
    setpgid, getppid, kill, getpid = os.setpgid, os.getppid, os.kill, os.getpid
    sigkill = int(signal.SIGKILL)

    def prepare() -> None:
        setpgid(0, 0)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, sigkill, 0, 0, 0)
            if getppid() != launcher_pid:  # the launcher died before prctl took effect
                kill(getpid(), sigkill)

    return prepare


@contextmanager
def signals_recorded(received: list[int]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are appended to `received` instead of raising, so
    that no interrupt lands between starting a worker and keeping hold of it. Only the main
    thread can install handlers; a signal that is ignored stays ignored (nohup, `&`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, lambda s, frame: received.append(s))
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _watch(procs: list[subprocess.Popen], received: list[int]) -> list[int | None] | None:
    """Wait until every worker exited 0 or one failed, and return their exit codes (None for
    those still running); None when the launcher got a signal first."""
    while not received:
        codes = [proc.poll() for proc in procs]
        if all(code == 0 for code in codes) or any(code not in (None, 0) for code in codes):
            return codes
        time.sleep(POLL)
    return None


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def how_it_ended(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"died (killed by {name})"


def _report(failed: list[int], codes: list[int | None], out, log_dir: Path) -> None:
    for index in failed:
        line = f"worker {index} of {len(codes)} {how_it_ended(codes[index])}"
        if index == failed[0] and None in codes:
            line += "; stopping the others"
        if index != 0:  # the chief's output was streamed already
            line += "\n" + _tail(log_dir / f"worker-{index}.log")
        out.say(line)


def _tail(log: Path, lines: int = TAIL) -> str:
    try:
        with open(log, "rb") as f:
            start = max(0, f.seek(0, os.SEEK_END) - 65536)
            f.seek(start)
            text = f.read().decode(errors="replace")
    except OSError as err:
        return f"  ({log} cannot be read: {err.strerror})"
    last = text.splitlines()[1 if start else 0 :][-lines:]  # not a line cut in two
    if not last:
        return f"  ({log} is empty)"
    return f"  last lines of {log}:\n" + "\n".join(f"    {line}" for line in last)


def _stop(procs: list[subprocess.Popen], grace: float, received: list[int], out) -> None:
    """SIGTERM to every worker still running, SIGKILL to those left after `grace` seconds (or
    at once when the launcher gets another signal meanwhile); then wait for all of them."""
    running = [(i, proc) for i, proc in enumerate(procs) if proc.poll() is None]
    for _, proc in running:
        send_signal(proc, signal.SIGTERM)
    signals = len(received)
    deadline = time.monotonic() + grace
    while any(proc.poll() is None for _, proc in running):
        if len(received) > signals:
            out.say("interrupted again; killing the workers")
            break
        if time.monotonic() >= deadline:
            late = [str(i) for i, proc in running if proc.poll() is None]
            who = f"worker {late[0]}" if len(late) == 1 else f"workers {', '.join(late)}"
            out.say(f"{who} did not stop within {grace:g}s after SIGTERM; sending SIGKILL")
            break
        time.sleep(POLL)
    for _, proc in running:
        send_signal(proc, signal.SIGKILL)
    for proc in procs:
        proc.wait()


def send_signal(proc: subprocess.Popen, signum: int) -> None:
    """Signal a worker's process group (itself and anything it started). Only while it is not
    reaped: until then its pid, and so its group's id, cannot be anyone else's."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)


class _Output:
    """The chief's output and the launcher's messages, written whole under one lock so that
    lines of the two do not interleave mid-line."""

    def __init__(self, stdout, stderr):
        self.stdout, self.stderr = stdout, stderr
        self.lock = threading.Lock()

    def say(self, message: str) -> None:
        with self.lock:
            try:
                self.stderr.write(f"netspec: {message}\n")
                self.stderr.flush()
            except (OSError, ValueError):  # a closed stream or a broken pipe: keep stopping
                pass

    def copy(self, pipe, stream) -> threading.Thread:
        thread = threading.Thread(
            target=self._copy, args=(pipe.fileno(), stream), name="netspec-chief-output"
        )
        thread.daemon = True  # joined by launch; a daemon only so a stuck one cannot hang exit
        thread.start()
        return thread

    def _copy(self, fd: int, stream) -> None:
        """Copy as it comes: bytes to the stream's binary buffer where it has one (no
        re-encoding), else decoded text. A stream that fails is dropped, the pipe still drained
        (a chief blocked on a full pipe would stall the whole job)."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        writable = True
        while True:
            chunk = os.read(fd, 65536)
            if writable:
                with self.lock:
                    try:
                        if hasattr(stream, "buffer"):
                            stream.flush()
                            stream.buffer.write(chunk)
                            stream.buffer.flush()
                        else:
                            stream.write(decoder.decode(chunk, final=not chunk))
                            stream.flush()
                    except (OSError, ValueError):
                        writable = False
            if not chunk:
                return
