"""Local anvil nodes (from npm), one per ecosystem, each with its own chain id, on 127.0.0.1 only.

``AnvilNode`` runs a node in the foreground of a Python process (tests, the demo); the
``sahara node`` commands keep named nodes running in the background with their state saved under
``var/nodes/`` so that deployments survive a restart.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sahara_dao.core.errors import NetworkError, ToolchainError
from sahara_dao.core.settings import Settings, get_settings

# The well-known development mnemonic; Ape's in-process test chain uses the same one, so the same
# funded accounts exist on every local chain. Never use it outside local chains.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
DEV_BALANCE_ETH = 10_000
STOP_TIMEOUT = 30  # seconds a stopped node may take to write its state and exit
HOST = "127.0.0.1"


def anvil_binary(settings: Settings | None = None) -> Path:
    """The anvil executable installed by ``npm ci``; a clear error when setup has not run."""
    path = (settings or get_settings()).node_modules_bin / "anvil"
    if not path.exists():
        raise ToolchainError(f"anvil is missing at {path}: run `make setup` (it runs `npm ci`).")
    return path


def rpc_chain_id(uri: str, timeout: float = 1.0) -> int | None:
    """The chain id answered by the node at ``uri``, or None when nothing answers."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(uri, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.load(response)["result"], 16)
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class AnvilNode:
    """One anvil process bound to 127.0.0.1 with a fixed chain id."""

    port: int
    chain_id: int
    state_file: Path | None = None
    log_file: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            str(anvil_binary()),
            "--host", HOST,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(DEV_ACCOUNTS),
            "--balance", str(DEV_BALANCE_ETH),
        ]  # fmt: skip
        if self.state_file is not None:
            cmd += ["--state", str(self.state_file)]
        return cmd

    def start(self, timeout: float = 20.0, detach: bool = False) -> "AnvilNode":
        """Start the node and wait until it answers with its chain id."""
        if (answered := rpc_chain_id(self.uri)) is not None:
            raise NetworkError(
                f"port {self.port} already has a node (chain id {answered}): stop it "
                "(`sahara node stop`) or choose another port."
            )
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=detach
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if rpc_chain_id(self.uri) == self.chain_id:
                return self
            if self.process.poll() is not None:
                raise NetworkError(f"anvil exited with code {self.process.returncode}; see {self.log_file}")
            time.sleep(0.1)
        self.stop()
        raise NetworkError(f"anvil did not answer on {self.uri} within {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the node (anvil writes its state file on a clean exit)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "AnvilNode":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def managed_node(ecosystem: str, settings: Settings | None = None) -> AnvilNode:
    """The project's background node for ``ecosystem`` (ports and chain ids from settings)."""
    settings = settings or get_settings()
    if ecosystem not in settings.local_chains:
        known = ", ".join(sorted(settings.local_chains))
        raise NetworkError(f"no local chain is configured for '{ecosystem}': choose one of {known}")
    chain = settings.local_chains[ecosystem]
    settings.nodes_dir.mkdir(parents=True, exist_ok=True)
    return AnvilNode(
        port=chain.port,
        chain_id=chain.chain_id,
        state_file=settings.nodes_dir / f"{ecosystem}.state.json",
        log_file=settings.nodes_dir / f"{ecosystem}.log",
    )


def _pid_file(ecosystem: str, settings: Settings) -> Path:
    return settings.nodes_dir / f"{ecosystem}.pid"


def start_background(ecosystem: str, settings: Settings | None = None) -> AnvilNode:
    """Start the ecosystem's node in the background; it keeps running after this process exits."""
    settings = settings or get_settings()
    node = managed_node(ecosystem, settings)
    node.start(detach=True)
    _pid_file(ecosystem, settings).write_text(str(node.process.pid))
    return node


def stop_background(ecosystem: str, settings: Settings | None = None) -> bool:
    """Stop the ecosystem's background node; False when none was running."""
    settings = settings or get_settings()
    pid_file = _pid_file(ecosystem, settings)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return False
    # Wait for the process, not for the port: anvil stops answering before it has written its state.
    deadline = time.monotonic() + STOP_TIMEOUT
    while _running(pid):
        if time.monotonic() > deadline:
            raise NetworkError(
                f"the {ecosystem} node (pid {pid}) has not exited {STOP_TIMEOUT} s after SIGINT: "
                f"stop it with `kill {pid}` (its state file may then be older than its last block)"
            )
        time.sleep(0.1)
    return True


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs; a zombie (exited, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc: the signal's answer stands
        return True
