"""gunicorn settings for production: ``gunicorn -c cocreate/gunicorn_conf.py --bind HOST:PORT``.

One process, one gevent worker with gevent-websocket's handler. Plain ``-k gevent`` serves
Socket.IO by long-polling only (it has no WebSocket handler and says so only in a log line).
Scale out with one such process per core, each on its own port, all with the same
``DATABASE_URL`` and ``REDIS_URL``, behind a proxy with sticky sessions; never with more
workers per process: gunicorn hands a long-polling client's requests to any worker, and a
worker that did not open the session refuses them.

gunicorn loads this file by path, so the master never imports the app: each worker patches
the standard library first, then loads the app, and psycopg waits cooperatively.
"""

import os

wsgi_app = "cocreate.wsgi:production_app()"
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
workers = 1
preload_app = False
# Every participant holds a connection open; gunicorn's default of 1,000 would cap a session.
worker_connections = int(os.environ.get("COCREATE_WORKER_CONNECTIONS", "10000"))
# Sockets never close on their own; after this grace period on a restart, clients reconnect.
graceful_timeout = 10
# gunicornc's control socket sits at one path per user: a second process on the host would
# unlink the first one's. Its worker-count commands must not be used here anyway.
control_socket_disable = True
