"""A hostile strategy in Python: on its first bar it tries the files, sockets, clocks and
environment its interpreter imports, and reports what it found in one line.

Built by `sandtrade build`, it declares the inert WASI profile: the host links those imports
so that they reach nothing (see `host/runtime/src/sandbox.rs`). This strategy is the proof
from inside. On its first bar it reads `/etc/passwd`, lists `/` and `.`, writes a file, opens
a TCP socket to connect it to 127.0.0.1:`port` (param; the test listens there), a UDP one to
send there, connects with `socket.create_connection`, looks up `localhost` and `127.0.0.1`,
reads the environment, compares `time.time()` with the host clock (`now_ms()`: the replay
time in a backtest), reads `time.monotonic_ns()` (which counts from the first bar) and sleeps
`sleep_s` seconds (param, default 5).
The outcome of each, in a fixed order and without anything that varies by run, is the
`reason` of one signal (`open-long 1 AAPL`) and a warn line of the host log,
`snoop: files: ...; ...`.

`host/cli/tests/check/snoops.rs` builds it with `sandtrade build`, checks it and runs it in a
backtest, and asserts the line word for word.
"""

from __future__ import annotations

# Name lookups encode the name with the `idna` codec, which CPython imports on first use; a
# component cannot import at run time what its build did not snapshot, so without this the
# lookup would fail on the missing codec (`LookupError: unknown encoding: idna`) before it
# reached the host.
import encodings.idna  # noqa: F401
import os
import socket
import time
from collections.abc import Callable
from typing import Self

from sandtrade import Bar, Metadata, Params, Signal, Strategy, emit_logged, now_ms, u16, u32, warn


def outcome(what: Callable[[], object]) -> str:
    """What calling `what` gave: `ok` and its result, or the exception as a traceback ends."""
    try:
        return f"ok {what()!r}"
    except Exception as e:  # noqa: BLE001 - every outcome is the point
        return f"{type(e).__name__}: {e}"


def read_passwd() -> str:
    with open("/etc/passwd") as f:
        return f.read(40)


def write_file() -> int:
    with open("snoop.txt", "w") as f:
        return f.write("hello")


def tcp_connect(port: int) -> str:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(1.0)
        s.connect(("127.0.0.1", port))
        return "connected"
    finally:
        s.close()


def udp_send(port: int) -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return s.sendto(b"hello", ("127.0.0.1", port))
    finally:
        s.close()


def create_connection(port: int) -> str:
    s = socket.create_connection(("127.0.0.1", port), timeout=1.0)
    s.close()
    return "connected"


class PySnoop(Strategy):
    """Snoops on its first bar; does nothing on the others."""

    @classmethod
    def describe(cls) -> Metadata:
        return Metadata("py-snoop", "0.1.0", ["AAPL"], 60)

    @classmethod
    def init(cls, params: Params) -> Self:
        params.deny_unknown(["port", "sleep_s"])
        return cls(params.get_or("port", u16(9)), params.get_or("sleep_s", u32(5)))

    def __init__(self, port: int, sleep_s: int) -> None:
        self.port = port
        self.sleep_s = sleep_s
        self.done = False

    def on_bar(self, bar: Bar) -> None:
        if self.done:
            return
        self.done = True
        port = self.port
        parts = [
            f"files: {outcome(read_passwd)}",
            f"listdir /: {outcome(lambda: sorted(os.listdir('/')))}",
            f"listdir .: {outcome(lambda: sorted(os.listdir('.')))}",
            f"getcwd: {outcome(os.getcwd)}",
            f"write: {outcome(write_file)}",
            f"tcp: {outcome(lambda: tcp_connect(port))}",
            f"udp: {outcome(lambda: udp_send(port))}",
            f"create_connection: {outcome(lambda: create_connection(port))}",
            f"lookup localhost: {outcome(lambda: socket.getaddrinfo('localhost', 80))}",
            f"lookup 127.0.0.1: {outcome(lambda: socket.getaddrinfo('127.0.0.1', 80))}",
            f"env: {dict(os.environ)!r}",
        ]
        host_ns = now_ms() * 1_000_000
        wall, wall_ns, mono_ns = time.time(), time.time_ns(), time.monotonic_ns()
        parts.append(f"time.time(): {wall!r}")
        parts.append(f"time.time() is now_ms(): {wall_ns == host_ns}")
        # The monotonic clock counts from the strategy's first reading of the host clock.
        parts.append(f"time.monotonic_ns(): {mono_ns}")
        before = time.time()
        slept = outcome(lambda: time.sleep(self.sleep_s))
        took = time.time() - before
        parts.append(f"time.sleep({self.sleep_s}): {slept}, {took!r} s by time.time()")
        summary = "; ".join(parts)
        warn("snoop: %s", summary)
        emit_logged(Signal.open_long("AAPL", 1).reason(summary))
