"""baresip as the agent's softphone, through its ctrl_tcp module (netstring JSON on a TCP port).

Runs in the GUI thread on QTcpSocket signals; nothing here blocks. The adapter owns baresip's only
ctrl_tcp connection (baresip drops the older client when another connects) and reconnects with
backoff when baresip is down or restarts. After each (re)connect it reads baresip's calls
(`listcalls`, then `line n` + `callstat` for each call's id) and emits them as `line_calls`, the
truth the coach reconciles with. Who hung up is decided in baresip_events, from the line's own words.

Commands go one at a time, each sequence (`callfind <id>` then `accept`/`hangup`) as one job:
baresip 1.0's commands act on its *current* call, so nothing may change that call in between.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Generator

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QAbstractSocket, QTcpSocket

from .backoff import Backoff
from .baresip_events import (
    CallTracker, LineEvent, Listed, Reply, parse_callstat, parse_listcalls, parse_message, selected,
)
from .base import Softphone
from .jsonpayload import BadMessage
from .netstring import NetstringDecoder, encode

log = logging.getLogger(__name__)

STABLE_AFTER_MS = 5000  # a connection that held this long resets the backoff
PROBE_EVERY_S = 2.0     # when idle, a cheap command this often: a frozen baresip keeps its socket open
SILENT_AFTER_S = 3.5    # nothing heard for this long while a command waits: "softphone not answering"
PROBE_COMMAND = "reginfo"   # menu.so's cheapest command: it only lists the user agents
ACCEPT_TRIES = 3        # baresip 1.0's `accept` with another call ringing first only holds that call

# A job yields (command, params) and is sent the Reply; `on_lost(why)` runs if the link drops first.
Job = Generator[tuple[str, str], Reply, None]


class BaresipSoftphone(Softphone):
    can_answer = True
    can_hang_up = True
    may_go_quiet = False   # listcalls at every (re)connect and the liveness check keep the card honest

    def __init__(self, host: str, port: int, parent: QObject | None = None,
                 command_timeout: float = 2.0, backoff: Backoff | None = None) -> None:
        super().__init__(parent)
        self.host, self.port, self.command_timeout = host, port, command_timeout
        self._backoff = backoff or Backoff(0.5, 5.0)
        self._socket: QTcpSocket | None = None
        self._online = False
        self._decoder = NetstringDecoder()
        self._tracker = CallTracker()
        self._jobs: deque[tuple[Job, Callable[[str], None]]] = deque()
        self._job: tuple[Job, Callable[[str], None]] | None = None
        self._waiting: tuple[str, str] | None = None   # (token, command) the running job waits on
        self._tokens = itertools.count(1)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self._connect)
        self._stable = QTimer(self, singleShot=True, interval=STABLE_AFTER_MS)
        self._stable.timeout.connect(self._backoff.reset)
        self._last_heard = 0.0           # monotonic time of baresip's last message
        self._probe = QTimer(self, interval=round(PROBE_EVERY_S * 1000))
        self._probe.timeout.connect(self._check_alive)

    @property
    def where(self) -> str:
        return f"baresip at {self.host}:{self.port}"

    # ----- life ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._set_state("connecting", self.where)
        self._connect()

    def stop(self) -> None:
        self._retry.stop()
        self._stable.stop()
        self._close_socket()
        self._fail_jobs("softphone stopped")
        self._set_state("offline", "stopped")

    def _connect(self) -> None:
        sock = QTcpSocket(self)
        # Bound slots (not lambdas): Qt drops them with this object, so a dying socket cannot call back.
        sock.connected.connect(self._on_connected)
        sock.readyRead.connect(self._on_ready_read)
        sock.errorOccurred.connect(self._on_lost)
        sock.disconnected.connect(self._on_lost)
        self._socket = sock
        sock.connectToHost(self.host, self.port)

    def _on_connected(self) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return
        sock.setSocketOption(QAbstractSocket.LowDelayOption, 1)   # TCP_NODELAY for our commands
        _quickack(sock)
        self._online = True
        self._decoder.reset()
        self._stable.start()
        self._last_heard = time.monotonic()
        self._probe.start()
        self._set_state("online", self.where)
        log.info("connected to %s", self.where)
        self._run(self._read_line_calls())   # the line's truth, for the coach to reconcile with

    def _on_lost(self, *_error) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return  # already handled (errorOccurred and disconnected both fire)
        was_online, why = self._online, sock.errorString()
        self._close_socket()
        self._stable.stop()
        self._fail_jobs("connection to baresip lost")
        delay = self._backoff.next()
        if was_online:
            detail = (f"{self.where} closed the connection ({why}): baresip stopped or restarted, or another "
                      f"program connected to ctrl_tcp (baresip serves one client at a time); retrying in {delay:g} s")
            log.warning("%s", detail)
        else:
            detail = f"cannot reach {self.where} ({why}); retrying in {delay:g} s"
            log.info("%s", detail)
        self._set_state("offline", detail)
        self._retry.start(round(delay * 1000))

    def _close_socket(self) -> None:
        self._probe.stop()
        sock, self._socket, self._online = self._socket, None, False
        if sock is not None:
            sock.abort()
            sock.deleteLater()

    # ----- incoming ----------------------------------------------------------------------------------
    def _on_ready_read(self) -> None:
        sock = self.sender()
        if sock is not self._socket:
            return
        data = sock.readAll().data()
        self._heard()
        _quickack(sock)  # without it baresip's back-to-back events after `accept` arrive ~40 ms late
        for payload in self._decoder.feed(data):
            try:
                message = parse_message(payload)
            except BadMessage as exc:
                log.warning("skipping ctrl_tcp message: %s (%r)", exc, payload[:80])
                continue
            if isinstance(message, LineEvent):
                self._emit(self._tracker.on_event(message))
            else:
                self._on_reply(message)

    def _on_reply(self, reply: Reply) -> None:
        if self._waiting is None or reply.token != self._waiting[0]:
            log.debug("reply to an unknown or expired token %r", reply.token)
            return
        self._waiting = None
        self._advance(reply)

    # ----- liveness: a stopped (SIGSTOP) or hung baresip keeps its socket open ----------------------
    def _check_alive(self) -> None:
        """Every PROBE_EVERY_S: ask baresip something cheap when nothing else is asked; a command that
        waits with nothing heard for SILENT_AFTER_S means baresip is not answering."""
        if not self._online:
            return
        if self._job is None and not self._jobs:
            self._run(self._ping())
        silent = time.monotonic() - self._last_heard
        if self._waiting is not None and silent > SILENT_AFTER_S and self.state != "not_answering":
            detail = f"{self.where} has not answered for {silent:.0f} s (stopped or hung?)"
            log.warning("%s", detail)
            self._set_state("not_answering", detail)

    def _ping(self) -> Job:
        yield PROBE_COMMAND, ""

    def _heard(self) -> None:
        self._last_heard = time.monotonic()
        if self.state == "not_answering":
            log.info("%s answers again", self.where)
            self._set_state("online", self.where)   # the card drops the stale error with the old state

    def _emit(self, events: list) -> None:
        for event in events:
            self.event.emit(event)

    # ----- commands from the card ----------------------------------------------------------------
    def answer(self, line_call_id: str) -> None:
        if line_call_id in self._tracker.open_ids and self._check_online("accept"):
            self._run(self._answer(line_call_id), lambda why: self.command_failed.emit("accept", why))

    def hang_up(self, line_call_id: str) -> None:
        # baresip 1.0's hangup takes no call id; never let a late click end some other call.
        if line_call_id not in self._tracker.open_ids:
            log.info("hang-up for %s ignored: the call has already ended", line_call_id)
            return
        if not self._check_online("hangup"):
            return
        self._tracker.agent_hangs_up(line_call_id)

        def lost(why: str) -> None:
            self._tracker.hangup_failed(line_call_id)
            self.command_failed.emit("hangup", why)
        self._run(self._hang_up(line_call_id), lost)

    def resume(self, line_call_id: str) -> None:
        """Take this call off hold, holding the one being talked to (the agent switched calls)."""
        if line_call_id in self._tracker.open_ids and self._check_online("resume"):
            self._run(self._resume(line_call_id), lambda why: self.command_failed.emit("resume", why))

    # ----- jobs: one command sequence at a time ---------------------------------------------------
    def _answer(self, call_id: str) -> Job:
        for _ in range(ACCEPT_TRIES):
            if not (yield from self._select(call_id, "accept")):
                return
            reply = yield "accept", ""
            if not reply.ok:
                self.command_failed.emit("accept", reply.data.strip() or "refused by baresip")
                return
            if self._tracker.media_seen(call_id):   # baresip sends the SDP events before its reply
                self._emit(self._tracker.hold_others(call_id))
                return
            # With another call ringing, baresip 1.0's first `accept` only put that one on hold.
        self.command_failed.emit("accept", f"baresip did not answer the call after {ACCEPT_TRIES} tries")

    def _hang_up(self, call_id: str) -> Job:
        if not (yield from self._select(call_id, "hangup")):
            self._tracker.hangup_failed(call_id)
            return
        reply = yield "hangup", ""
        if reply.ok:
            self._emit(self._tracker.hangup_accepted(call_id))
        else:
            self._tracker.hangup_failed(call_id)
            self.command_failed.emit("hangup", reply.data.strip() or "refused by baresip")

    def _resume(self, call_id: str) -> Job:
        for other in [c for c in self._tracker.open_ids if c != call_id and self._tracker.talking(c)]:
            if (yield from self._select(other, "hold")):
                if (yield "hold", "").ok:
                    self._emit(self._tracker.set_held(other, True))
        if (yield from self._select(call_id, "resume")):
            if (yield "resume", "").ok:
                self._emit(self._tracker.set_held(call_id, False))

    def _select(self, call_id: str, command: str) -> Generator[tuple[str, str], Reply, bool]:
        """Make `call_id` baresip's current call. If baresip no longer has it, say so and re-read the line."""
        reply = yield "callfind", call_id
        if selected(reply):
            return True
        log.warning("%s for %s not sent: baresip answered callfind with %r", command, call_id, reply.data.strip())
        if "not found" in reply.data:   # "call not found", or "command not found" when baresip has no call
            self.command_failed.emit(command, "the call is no longer on the line")
            self._run(self._read_line_calls())
        else:
            self.command_failed.emit(command, reply.data.strip() or "refused by baresip")
        return False

    def _read_line_calls(self) -> Job:
        self._tracker.mark()
        reply = yield "listcalls", ""
        listed = parse_listcalls(reply.data) if reply.ok else None
        if listed is None:
            log.warning("cannot read the listcalls reply %r; open calls not reconciled", reply.data[:120])
            return
        found = []
        for item in listed:
            stat = None
            if selected((yield "line", str(item.line))):
                stat = parse_callstat((yield "callstat", "").data)
            if stat is not None and stat.peeruri == item.peeruri:
                found.append(Listed(item.line, stat.state, item.peeruri, item.held, stat.call_id, item.duration))
            else:  # the call changed or closed meanwhile, or callstat is unreadable: no id
                log.info("no call id for line %d (%s)", item.line, item.state)
                found.append(item)
        self.line_calls.emit(self._tracker.reconcile(found))

    def _run(self, job: Job, on_lost: Callable[[str], None] = lambda why: None) -> None:
        self._jobs.append((job, on_lost))
        if self._job is None:
            self._next_job()

    def _next_job(self) -> None:
        while self._job is None and self._jobs:
            self._job = self._jobs.popleft()
            self._advance(None)

    def _advance(self, reply: Reply | None) -> None:
        job, _on_lost = self._job
        try:
            command, params = next(job) if reply is None else job.send(reply)
        except StopIteration:
            self._job = None
            self._next_job()
            return
        self._send(command, params)

    def _check_online(self, command: str) -> bool:
        if self._socket is None or not self._online:
            self.command_failed.emit(command, f"{self.where} is offline")
            return False
        return True

    def _send(self, command: str, params: str = "") -> None:
        token = f"hc{next(self._tokens)}"
        self._waiting = (token, command)
        message = {"command": command, "token": token}
        if params:
            message["params"] = params
        self._socket.write(encode(json.dumps(message).encode()))
        QTimer.singleShot(round(self.command_timeout * 1000), self, lambda: self._timed_out(token))

    def _timed_out(self, token: str) -> None:
        if self._waiting is None or self._waiting[0] != token:
            return
        command = self._waiting[1]
        log.warning("%s: no reply from %s within %g s", command, self.where, self.command_timeout)
        self._waiting = None
        self._advance(Reply(token, False, f"no reply from baresip within {self.command_timeout:g} s"))

    def _fail_jobs(self, why: str) -> None:
        jobs = ([self._job] if self._job else []) + list(self._jobs)
        self._job, self._jobs, self._waiting = None, deque(), None
        for job, on_lost in jobs:
            job.close()
            on_lost(why)


def _quickack(sock: QTcpSocket) -> None:
    """Re-arm TCP_QUICKACK (Linux clears it after use) so our ACKs do not wait for the delayed-ACK timer."""
    option = getattr(socket, "TCP_QUICKACK", None)
    fd = int(sock.socketDescriptor())
    if option is None or fd < 0:
        return
    borrowed = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, fd)
    try:
        borrowed.setsockopt(socket.IPPROTO_TCP, option, 1)
    except OSError as exc:
        log.debug("TCP_QUICKACK not set: %s", exc)
    finally:
        borrowed.detach()  # the descriptor stays Qt's
