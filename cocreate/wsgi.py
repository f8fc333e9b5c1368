"""The production entry point: gunicorn calls ``production_app()`` in each worker.

Serve with ``gunicorn -c cocreate/gunicorn_conf.py`` (``make serve``), which runs one gevent
process with gevent-websocket's handler; see that file for why one worker per process.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from cocreate import create_app
from config import ConfigError


def production_app() -> Flask:
    """The app in gevent mode (unless ``COCREATE_ASYNC_MODE`` says otherwise).

    ``COCREATE_PROXY_FIXES=N`` trusts N proxies' ``X-Forwarded-For/-Proto/-Host`` headers,
    so that rate limits see each visitor's address and links carry the public origin.

    :raises ConfigError: gevent mode in a process that gevent has not monkey-patched.
    """
    mode = os.environ.get("COCREATE_ASYNC_MODE", "gevent")
    if mode == "gevent":
        require_gevent_patched()
    app = create_app({"SOCKETIO_ASYNC_MODE": mode})
    if hops := proxy_hops(os.environ.get("COCREATE_PROXY_FIXES", "")):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def require_gevent_patched() -> None:
    # Unpatched, every socket read and database wait (psycopg picks its wait function when
    # first imported) would block all connections of the process, not just its own.
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        raise ConfigError(
            "COCREATE_ASYNC_MODE=gevent needs a gevent-patched process: serve with "
            "gunicorn -c cocreate/gunicorn_conf.py (geventwebsocket worker, no preloading)"
        )


def proxy_hops(value: str) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ConfigError(f"COCREATE_PROXY_FIXES must be a number of proxies, not {value!r}")
    return int(value)
