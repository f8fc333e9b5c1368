"""Long work in a process that also serves live sessions.

In production one gevent event loop serves every socket and every request of a process
(see ``gunicorn_conf.py``). Python code that computes for seconds without waiting on a
socket, such as writing a 100,000-comment spreadsheet or laying out a PDF, holds that loop:
meanwhile no vote is acknowledged, no tally is pushed, and clients whose pings go
unanswered are dropped. The two helpers below let such work share the loop. In threading
mode (the development server, the command line, the tests) threads take turns already,
and they cost next to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cocreate.extensions import socketio

T = TypeVar("T")

# How long ``cooperate`` gives way. gevent's ``sleep(0)`` only runs the greenlets already
# ready: the loop neither polls the sockets nor fires timers. Any positive time makes it
# do both, once; a millisecond a batch costs a quarter of a second on 500,000 votes.
GIVE_WAY_SECONDS = 0.001


def under_gevent() -> bool:
    return getattr(socketio, "async_mode", None) == "gevent"


def cooperate() -> None:
    """Let the event loop serve the other connections for a moment, under gevent; call
    it every so often in a long loop (the exports call it every batch of rows)."""
    if under_gevent():
        socketio.sleep(GIVE_WAY_SECONDS)


def off_the_loop(work: Callable[..., T], *args) -> T:
    """``work(*args)``, run in one of gevent's native threads under gevent, so that the
    event loop goes on serving while it computes; called directly otherwise. ``work``
    must not use the database session or the request (another thread has neither)."""
    if under_gevent():
        from gevent import get_hub

        return get_hub().threadpool.apply(work, args)
    return work(*args)
