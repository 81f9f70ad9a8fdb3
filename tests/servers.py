"""Real servers on 127.0.0.1 for the worker tests and the benchmark: moto, redis-server, an ECS agent stub.

Each starts on a free loopback port, waits until it answers, and stops when its context
ends (or its owner process dies: the children are in the test's process group and are
terminated, then killed, on exit).

The moto server runs with the two mends in tests/moto_fixes.py (a receive that does not
scan the queue per message; a delete that cannot drop a concurrent send). Nothing else in
moto is changed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}

# A moto server with tests/moto_fixes.py's mends: argv is the port, then the folder that module is in.
MOTO_SERVER_CODE = """
import sys
sys.path.insert(0, sys.argv[2])
import moto_fixes
moto_fixes.apply()
from moto.server import main
sys.exit(main(["-H", "127.0.0.1", "-p", sys.argv[1]]))
"""
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection((LOOPBACK, port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on {LOOPBACK}:{port} within {START_TIMEOUT_SECONDS} s")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_SECONDS)


@dataclass
class Moto:
    url: str
    process: subprocess.Popen

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process that should talk to this server."""
        return {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": self.url}

    def client(self, service: str = "sqs"):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@contextmanager
def moto_server(env: dict[str, str] | None = None) -> Iterator[Moto]:
    """A moto server; `env` adds moto settings (MOTO_IAM_LOAD_MANAGED_POLICIES, ...) to its environment."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", MOTO_SERVER_CODE, str(port), TESTS_DIR],
                               env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield Moto(f"http://{LOOPBACK}:{port}", process)
    finally:
        stop_process(process)


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen

    @property
    def env(self) -> dict[str, str]:
        return {"REDIS_HOST": LOOPBACK, "REDIS_PORT": str(self.port), "REDIS_TLS": "false"}

    def client(self):
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, decode_responses=True)


NO_PERSISTENCE = ("--save", "", "--appendonly", "no")
# Every write fsynced to the append-only file before it is answered: a restart loses nothing.
APPEND_ONLY = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")


def start_redis(port: int, directory: str, persistence: tuple[str, ...] = NO_PERSISTENCE,
                extra: tuple[str, ...] = ()) -> RedisServer:
    """Start redis-server on 127.0.0.1:port with its files in `directory`; the caller stops it."""
    binary = redis_server_binary()
    if binary is None:
        raise RuntimeError("redis-server is not installed: apt-get install -y redis-server (.ci/run does this)")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", LOOPBACK, *persistence,
         "--dir", directory, "--protected-mode", "yes", "--maxclients", "1000", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
    except RuntimeError:
        stop_process(process)
        raise
    return RedisServer(port, process)


@contextmanager
def redis_server(persistence: tuple[str, ...] = NO_PERSISTENCE, extra: tuple[str, ...] = ()) -> Iterator[RedisServer]:
    """A throwaway redis-server (no persistence unless asked), loopback only, its own temp directory."""
    with tempfile.TemporaryDirectory(prefix="qcap-redis-") as directory:
        server = start_redis(free_port(), directory, persistence, extra)
        try:
            yield server
        finally:
            stop_process(server.process)


@dataclass
class AgentStub:
    """A stand-in for the ECS agent's task-protection endpoint: records every call."""

    uri: str
    calls: list[tuple[float, str, dict]] = field(default_factory=list)
    protected: bool = False
    # Set: every call from then on is received and never answered (an agent that hangs).
    hang: threading.Event = field(default_factory=threading.Event)
    hung_calls: int = 0

    @property
    def puts(self) -> list[dict]:
        return [body for _, method, body in self.calls if method == "PUT"]


@contextmanager
def ecs_agent_stub() -> Iterator[AgentStub]:
    stub = AgentStub(uri="")
    closed = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if stub.hang.is_set():
                stub.hung_calls += 1
                closed.wait(60)
                return
            if self.path != "/v4/task-abc/task-protection/v1/state" or "ProtectionEnabled" not in body:
                self.send_response(400)
                self.end_headers()
                return
            stub.protected = bool(body["ProtectionEnabled"])
            stub.calls.append((time.monotonic(), "PUT", body))
            answer = {"protection": {"ProtectionEnabled": stub.protected,
                                     "ExpirationDate": "2026-01-01T00:00:00Z", "TaskArn": "arn:aws:ecs:task/abc"}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    stub.uri = f"http://{LOOPBACK}:{server.server_address[1]}/v4/task-abc"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        closed.set()
        server.shutdown()
        server.server_close()


def subprocess_env(*parts: dict[str, str]) -> dict[str, str]:
    """os.environ without AWS profile settings, plus the given parts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_", "REDIS_", "QCAP_"))}
    for part in parts:
        env.update(part)
    return env


def send_signal(process: subprocess.Popen, sig: int = signal.SIGTERM) -> float:
    """Signal a child; returns when it was sent (monotonic)."""
    sent = time.monotonic()
    process.send_signal(sig)
    return sent
