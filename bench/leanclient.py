"""Lean Socket.IO listeners for benchmarks, and the generator process that runs them.

A python-socketio ``AsyncClient`` spends 60-75 µs of CPU per message; a thousand of them
saturate their process before the server is half busy, and their late ping replies get
them dropped (see ../shared/TOOLCHAIN.md). A listener over aiohttp's websocket client
still costs about 27 µs a message (measured here: 58 % of a core for 21,600 messages a
second). ``Listener`` is an asyncio protocol on a bare TCP connection that speaks just
enough WebSocket (RFC 6455: the upgrade, unmasked server frames, masked client frames)
and Engine.IO v4 / Socket.IO v5: the open packet, "40" + auth to join the default
namespace, "2" pings answered with "3", and "42[...]" event packets, of which it keeps
only what the benchmark measures (arrival times of tallies and comments, found with a
regular expression instead of a JSON parse).

``serve`` is the body of a generator process: it takes commands from a pipe (connect,
start, mark, pending, results, close, exit) so that one benchmark can spread its
listeners over several processes and still merge exact figures.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
from array import array
from collections import Counter

CONNECT_CONCURRENCY = 64
CONNECT_TIMEOUT = 30.0
LAG_TICK = 0.1
TALLY = b'42["tally",'
COMMENT = b'42["comment",'
ITEM_ID = re.compile(rb'"item_id":(\d+)')
VOTES = re.compile(rb'"votes":(\d+)')  # the first is the item's overall count
COMMENT_ID = re.compile(rb'"id":(\d+)')  # a comment's own id comes first
TEXT, CLOSE, PING = 0x1, 0x8, 0x9
SOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"


class Refused(Exception):
    """The server refused the upgrade or the namespace connect."""


def client_frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """A final, masked frame (clients must mask what they send)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return head + mask + masked


class Listener(asyncio.Protocol):
    """One participant's socket: records when each tally and comment arrived."""

    def __init__(self, port: int, path: str, auth: dict, item_id: int) -> None:
        self.port = port
        self.path = path
        self.auth = json.dumps(auth).encode()
        self.item_id = item_id
        self.transport = None
        self.ready = asyncio.get_running_loop().create_future()
        self.handshaking = True
        self.buffer = b""
        self.fragments: list[bytes] = []
        self.dropped = False
        self.closing = False
        self.sample_tally: bytes | None = None
        self.sample_comment: bytes | None = None
        self.reset()

    def reset(self) -> None:
        self.tally_times = array("d")
        self.tally_votes = array("q")
        self.comment_times: dict[int, float] = {}

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, "127.0.0.1", self.port)
        try:
            await self.ready
        except BaseException:
            self.close()
            raise

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(Refused(f"connection lost: {exc}"))
        if not self.closing:
            self.dropped = True

    def fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(Refused(reason))
        self.close()

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        data = self.buffer + data if self.buffer else data
        if self.handshaking:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                return self.fail(data[: data.find(b"\r\n")].decode(errors="replace"))
            self.handshaking = False
            data = data[end + 4 :]
        size = len(data)
        pos = 0
        while size - pos >= 2:
            first, length = data[pos], data[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            if size - pos < head + length:
                break
            payload = data[pos + head : pos + head + length]
            pos += head + length
            if not first & 0x80:  # a fragment: keep it until the final one
                self.fragments.append(payload)
                continue
            if self.fragments:
                payload = b"".join([*self.fragments, payload])
                self.fragments = []
            opcode = first & 0x0F
            if opcode == TEXT or opcode == 0:
                self.on_message(payload, arrived)
            elif opcode == PING:
                self.transport.write(client_frame(payload, 0xA))
            elif opcode == CLOSE:
                self.close()
                return
        self.buffer = data[pos:]

    def on_message(self, message: bytes, arrived: float) -> None:
        if message.startswith(TALLY):
            if int(ITEM_ID.search(message).group(1)) == self.item_id:
                self.tally_times.append(arrived)
                self.tally_votes.append(int(VOTES.search(message).group(1)))
                self.sample_tally = message
        elif message.startswith(COMMENT):
            self.comment_times[int(COMMENT_ID.search(message).group(1))] = arrived
            self.sample_comment = message
        elif message == b"2":
            self.transport.write(client_frame(b"3"))
        elif message.startswith(b"0{"):
            self.transport.write(client_frame(b"40" + self.auth))
        elif message.startswith(b"40"):
            if not self.ready.done():
                self.ready.set_result(None)
        elif message.startswith(b"44"):
            self.fail(message[2:].decode(errors="replace"))
        elif message.startswith(b"41"):  # the server closed the namespace
            self.transport.close()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(b"", CLOSE))
            self.transport.close()


def deliveries(listener: Listener, votes, comments):
    """Per action, when this listener got the update: seconds after the action's HTTP
    response, or None.

    ``votes`` are (response time, voters a tally must count, request time) sorted by
    response time; ``comments`` are (response time, comment id, request time). A vote's
    update is the first tally that arrived after the response and counts enough voters;
    the threshold never falls as time goes on, so one pass over the tallies does. When no
    tally came after the response (the last votes of a run), a tally that arrived between
    request and response and counts enough is the update, received at once."""
    times, counts = listener.tally_times, listener.tally_votes
    n = len(times)
    j = 0
    for answered, needed, sent in votes:
        while j < n and (times[j] <= answered or counts[j] < needed):
            j += 1
        if j < n:
            yield times[j] - answered
        else:
            early = n - 1
            while early >= 0 and times[early] > sent and counts[early] < needed:
                early -= 1
            yield 0.0 if early >= 0 and times[early] > sent else None
    got = listener.comment_times
    for answered, comment_id, _ in comments:
        arrived = got.get(comment_id)
        yield None if arrived is None else max(0.0, arrived - answered)


class Generator:
    """The listeners of one process, driven by commands from the benchmark."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.listeners: list[Listener] = []
        self.cpu_mark = (0.0, 0.0)
        self.cpu_window = (0.0, 0.0)
        self.lags: list[float] = []
        self.lag_task = None

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                command, arg = await loop.run_in_executor(None, self.conn.recv)
                if command == "exit":
                    break
                answer = await getattr(self, f"do_{command}")(arg)
                self.conn.send(answer)
        finally:
            await self.do_close(None)

    async def do_connect(self, arg) -> dict:
        """arg: {"clients": [(port, auth), ...], "item_id": id}."""
        started = time.monotonic()
        self.listeners = [
            Listener(port, SOCKET_PATH, auth, arg["item_id"]) for port, auth in arg["clients"]
        ]
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        errors: Counter[str] = Counter()

        async def connect(listener: Listener) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(listener.connect(), CONNECT_TIMEOUT)
                except Exception as error:  # noqa: BLE001 - counted and reported
                    errors[f"{type(error).__name__}: {error}"[:120]] += 1

        await asyncio.gather(*(connect(listener) for listener in self.listeners))
        self.listeners = [x for x in self.listeners if x.ready.done() and not x.ready.exception()]
        return {
            "connected": len(self.listeners),
            "failed": sum(errors.values()),
            "errors": errors.most_common(3),
            "seconds": time.monotonic() - started,
        }

    async def do_start(self, arg) -> dict:
        for listener in self.listeners:
            listener.reset()
        self.cpu_mark = (time.process_time(), time.monotonic())
        self.lags = []
        self.lag_task = asyncio.create_task(self.watch_lag())
        return {}

    async def watch_lag(self) -> None:
        """How late the event loop wakes up: a busy generator delays every arrival time."""
        while True:
            planned = time.monotonic() + LAG_TICK
            await asyncio.sleep(LAG_TICK)
            self.lags.append(max(0.0, time.monotonic() - planned))

    async def do_mark(self, arg) -> dict:
        cpu, wall = self.cpu_mark
        self.cpu_window = (time.process_time() - cpu, time.monotonic() - wall)
        if self.lag_task is not None:
            self.lag_task.cancel()
        return {}

    async def do_pending(self, arg) -> int:
        """How many listeners still miss one of the last votes or any comment."""
        votes, comments = arg["votes"], arg["comments"]
        return sum(
            1
            for listener in self.listeners
            if not listener.dropped and None in deliveries(listener, votes, comments)
        )

    async def do_results(self, arg) -> dict:
        """Latencies per action (max over this process's listeners) and a 1 ms histogram
        of every delivery, for listeners that stayed connected."""
        votes, comments = arg["votes"], arg["comments"]
        actions = len(votes) + len(comments)
        worst = [0.0] * actions
        missing = [0] * actions
        histogram: Counter[int] = Counter()
        live = [listener for listener in self.listeners if not listener.dropped]
        for listener in live:
            for index, latency in enumerate(deliveries(listener, votes, comments)):
                if latency is None:
                    missing[index] += 1
                    continue
                histogram[int(latency * 1000)] += 1
                if latency > worst[index]:
                    worst[index] = latency
        cpu, wall = self.cpu_window
        lags = sorted(self.lags) or [0.0]
        sample = next((x for x in live if x.sample_tally), None)
        return {
            "listeners": len(live),
            "dropped": len(self.listeners) - len(live),
            "worst": worst,
            "missing": missing,
            "histogram": dict(histogram),
            "tallies": sum(len(x.tally_times) for x in live),
            "cpu_s": cpu,
            "wall_s": wall,
            "lag_p95_s": lags[int(0.95 * (len(lags) - 1))],
            "lag_max_s": lags[-1],
            "sample_tally": sample.sample_tally.decode() if sample else None,
            "sample_comment": next(
                (x.sample_comment.decode() for x in live if x.sample_comment), None
            ),
        }

    async def do_close(self, arg) -> dict:
        listeners, self.listeners = self.listeners, []
        for listener in listeners:
            listener.close()
        await asyncio.sleep(0.5)  # let the close frames go out
        return {}


def serve(conn) -> None:
    """Entry point of a generator process."""
    try:
        asyncio.run(Generator(conn).main())
    except KeyboardInterrupt:
        pass
