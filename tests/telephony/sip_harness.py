"""Real baresip and sipp processes for end-to-end tests and the latency benchmark.

Everything binds 127.0.0.1 on ports chosen at runtime; each process lives in its own temp dir and
is stopped by its owner (fixtures in conftest.py, or the benchmark's `with` blocks).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from datetime import datetime
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"


class MissingTool(RuntimeError):
    pass


def need(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise MissingTool(f"{binary} is not installed (apt-get install {package}); the softphone tests need it")
    return path


def free_port(udp_too: bool = False, span: int = 1) -> int:
    """A loopback port free for TCP (and UDP when asked), with `span` - 1 free TCP ports after it."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + span > 65535:
            continue
        try:
            _check_free(port, span, udp_too)
        except OSError:
            continue
        return port
    raise RuntimeError("no free loopback port found")


def _check_free(port: int, span: int, udp_too: bool) -> None:
    held = []
    try:
        for p in range(port, port + span):
            kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp_too or p != port else (socket.SOCK_STREAM,)
            for kind in kinds:
                s = socket.socket(socket.AF_INET, kind)
                held.append(s)
                s.bind(("127.0.0.1", p))
    finally:
        for s in held:
            s.close()


BARESIP_CONFIG = """\
# written by the Hangup Coach tests: headless, loopback only, no audio device
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{sip_port}
call_local_timeout\t120
call_max_calls\t\t4
audio_player\t\tnone
audio_source\t\tnone
audio_alert\t\tnone
audio_level\t\tno
rtp_ports\t\t{rtp_first}-{rtp_last}
rtcp_mux\t\tno
jitter_buffer_delay\t5-10
rtp_stats\t\tno
net_interface\t\t127.0.0.1
dns_server\t\t127.0.0.1:53
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
"""
ACCOUNT = "<sip:agent@127.0.0.1:{sip_port}>;regint=0;answermode={answermode};audio_codecs=pcmu,pcma;mwi=no;pubint=0\n"


class Baresip:
    """One baresip: its config dir, SIP and ctrl_tcp ports; start/kill/restart keep the same ports."""

    def __init__(self, workdir: Path, answermode: str = "auto") -> None:
        self.binary = need("baresip", "baresip-core")
        self.dir = workdir / ".baresip"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sip_port = free_port(udp_too=True, span=2)  # baresip also listens on sip_port + 1 (TLS)
        self.ctrl_port = free_port()
        rtp_first = free_port(udp_too=True)
        (self.dir / "config").write_text(BARESIP_CONFIG.format(
            sip_port=self.sip_port, ctrl_port=self.ctrl_port, rtp_first=rtp_first, rtp_last=min(rtp_first + 100, 65535)))
        (self.dir / "accounts").write_text(ACCOUNT.format(sip_port=self.sip_port, answermode=answermode))
        (self.dir / "contacts").write_text("")
        self.log = workdir / "baresip.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"baresip://127.0.0.1:{self.ctrl_port}"

    def start(self, timeout: float = 10.0) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([self.binary, "-f", str(self.dir)], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip exited with {self.proc.returncode}:\n{self.log_tail()}")
            if b"baresip is ready." in self.log.read_bytes() and _listening(self.ctrl_port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"baresip not ready after {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_bytes().replace(b"\r", b"\n").decode(errors="replace") if self.log.exists() else ""
        return "\n".join(line for line in text.splitlines() if line.strip())[-lines * 120:]


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, read from /proc so no client connects
    (baresip's ctrl_tcp would drop the card for a probe)."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":  # 0A = LISTEN
            return True
    return False


def write_callers(path: Path, callers: list[str | tuple[str, ...]]) -> Path:
    """sipp's -inf file: field0 = the number in the From URI, field1 = the display name, then any extras."""
    rows = [(c,) if isinstance(c, str) else c for c in callers]
    path.write_text("SEQUENTIAL\n" + "".join(f"{n};Customer {n};" + "".join(f"{x};" for x in extra) + "\n"
                                              for n, *extra in rows))
    return path


class Sipp:
    """One sipp run (the customers' side) against a baresip."""

    def __init__(self, workdir: Path, baresip: Baresip, scenario: str, callers: list, calls: int = 1,
                 pause_ms: int = 300, rate: float = 10, extra: tuple[str, ...] = ()) -> None:
        binary = need("sipp", "sip-tester")
        workdir.mkdir(parents=True, exist_ok=True)
        self.messages = workdir / "messages.log"
        self.stdout = workdir / "sipp.out"
        callers = write_callers(workdir / "callers.csv", callers)
        self.args = [
            binary, f"127.0.0.1:{baresip.sip_port}", "-sf", str(SCENARIOS / scenario), "-inf", str(callers),
            "-s", "agent", "-i", "127.0.0.1", "-p", str(free_port(udp_too=True)),
            "-mi", "127.0.0.1", "-mp", str(free_port(udp_too=True, span=4)), "-cp", str(free_port(udp_too=True)),
            "-m", str(calls), "-l", "1", "-r", str(rate), "-d", str(pause_ms), "-timeout", "60s",
            "-nostdin", "-trace_msg", "-message_file", str(self.messages),
            # A customer's phone does not hang up on a message that comes a moment early (a BYE the card
            # sends within a millisecond of the answer can beat sipp to its <recv>): sipp ignores it and
            # takes the retransmission baresip sends 0.5 s later, as any SIP phone would.
            "-default_behaviors", "all,-abortunexp", "-trace_err", "-error_file", str(workdir / "errors.log"),
            *extra,
        ]
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Sipp":
        with open(self.stdout, "wb") as out:
            self.proc = subprocess.Popen(self.args, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def done(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def sent(self, method: str) -> list[tuple[float, str]]:
        """(wall time, Call-ID) of every `method` request sipp sent, from its -trace_msg log."""
        return [(t, cid) for t, direction, first, cid in self._messages() if direction == "sent" and first.startswith(method + " ")]

    def received(self, method: str) -> list[str]:
        """Call-IDs of the `method` requests sipp received, in order; a retransmission counts once."""
        cids = [cid for _t, direction, first, cid in self._messages() if direction == "received" and first.startswith(method + " ")]
        return list(dict.fromkeys(cids))

    def _messages(self):
        text = self.messages.read_text(errors="replace") if self.messages.exists() else ""
        for block in re.split(r"^-{20,} ", text, flags=re.M)[1:]:
            lines = block.splitlines()
            when = datetime.strptime(lines[0].strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            direction = "sent" if " sent " in lines[1] else "received"
            body = [line for line in lines[2:] if line.strip()]
            call_id = next((line.split(":", 1)[1].strip() for line in body if line.lower().startswith("call-id:")), "")
            yield when, direction, body[0] if body else "", call_id

    def report(self) -> str:
        out = self.stdout.read_text(errors="replace") if self.stdout.exists() else ""
        return f"sipp rc={self.returncode}\n{out[-3000:]}"
