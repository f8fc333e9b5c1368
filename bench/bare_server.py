"""The yardstick for bench/live_session.py: a bare python-socketio server, nothing else.

gevent + gevent-websocket (pywsgi with WebSocketHandler), every client in one room, and
the app's coalescing without the app: ``POST /vote`` counts a vote and ``POST /comment``
queues a comment; a background greenlet emits at most one "tally" per
``--interval`` seconds and the queued "comment"s, with payloads copied from what the app
sent (``--payloads``, a JSON file {"tally": ..., "comment": ...}), so sizes match.

    python bench/bare_server.py --port 5099 [--payloads FILE] [--interval 0.05]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
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
        self.votes = 0
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
            self.votes += 1
            self.dirty = True
            body = {"votes": self.votes}
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
        # With a length pywsgi writes head and body at once (chunked output would wait on
        # Nagle and the client's delayed ACK, 40 ms).
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def flush_forever(self) -> None:
        while True:
            self.sio.sleep(self.interval)
            while self.outbox:
                self.sio.emit("comment", self.outbox.popleft(), to=ROOM)
            if self.dirty:
                self.dirty = False
                tally = copy.deepcopy(self.tally)
                tally["results"]["votes"] = self.votes
                self.sio.emit("tally", tally, to=ROOM)


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
    server = pywsgi.WSGIServer(
        ("127.0.0.1", args.port), bare.app, handler_class=WebSocketHandler, log=None
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
