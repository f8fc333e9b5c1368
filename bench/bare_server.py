"""The yardstick for bench/live_session.py: a bare python-socketio server, nothing else.

gevent + gevent-websocket (pywsgi with WebSocketHandler), every client in one room, and
the app's coalescing without the app: ``POST /vote?who=N`` counts a voter, ``POST /comment``
queues a comment; a background greenlet emits at most one "tally" per ``--interval``
seconds, paced like the app's, and the queued "comment"s, with payloads copied from what
the app sent (``--payloads``, a JSON file {"tally": ..., "comment": ...}), so sizes match.

    python bench/bare_server.py --port 5099 [--payloads FILE] [--interval 0.05]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

ROOM = "everyone"
DEFAULT_PAYLOADS = {
    "tally": {"item_id": 1, "scope_event_id": None, "results": {"votes": 0}},
    "comment": {"id": 0, "item_id": 1, "body": "A comment"},
}


class Bare:
    def __init__(self, payloads: dict, interval: float) -> None:
        self.tally = payloads["tally"]
        self.comment = payloads["comment"]
        self.interval = interval
        self.voters: set[str] = set()
        self.comments = 0
        self.dirty = False
        self.outbox: deque[dict] = deque()
        # The app's settings, so that both sides ping and buffer alike.
        self.sio = socketio.Server(
            async_mode="gevent", ping_interval=20, ping_timeout=20, max_http_buffer_size=65536
        )
        self.sio.on("connect", self.on_connect)
        self.app = socketio.WSGIApp(self.sio, self.http)

    def on_connect(self, sid, environ, auth=None):
        self.sio.enter_room(sid, ROOM)

    def http(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and path == "/vote":
            # Like the app's tally, "votes" counts voters: ?who= names the participant.
            self.voters.add(environ.get("QUERY_STRING", ""))
            self.dirty = True
            body = {"votes": len(self.voters)}
        elif environ.get("REQUEST_METHOD") == "POST" and path == "/comment":
            self.comments += 1
            comment = copy.deepcopy(self.comment)
            comment["id"] = self.comments
            self.outbox.append(comment)
            body = {"id": self.comments}
        elif path == "/health":
            body = {"ok": True}
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        data = json.dumps(body).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def flush_forever(self) -> None:
        """The app's pacing (cocreate/live/broadcast.py): a flush starts an interval after
        the previous one started and once the writers it woke have run."""
        took = 0.0
        while True:
            self.sio.sleep(max(0.0, self.interval - took))
            started = time.monotonic()
            while self.outbox:
                self.sio.emit("comment", self.outbox.popleft(), to=ROOM)
            if self.dirty:
                self.dirty = False
                tally = copy.deepcopy(self.tally)
                tally["results"]["votes"] = len(self.voters)
                self.sio.emit("tally", tally, to=ROOM)
            self.sio.sleep(0)
            took = time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payloads", help="JSON file with a sample tally and comment")
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    payloads = DEFAULT_PAYLOADS
    if args.payloads:
        with open(args.payloads) as file:
            payloads = {**DEFAULT_PAYLOADS, **json.load(file)}
    bare = Bare(payloads, args.interval)
    bare.sio.start_background_task(bare.flush_forever)
    # TCP_NODELAY, as gunicorn sets it: otherwise a keep-alive client's delayed ACK holds
    # each response's second segment for 40 ms (accepted sockets inherit the option).
    listener = socket.create_server(("127.0.0.1", args.port), backlog=2048)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = pywsgi.WSGIServer(listener, bare.app, handler_class=WebSocketHandler, log=None)
    server.serve_forever()


if __name__ == "__main__":
    main()
