"""The production entry point: gevent only in a patched process, WebSocket served by the
gunicorn worker it configures, and proxy headers trusted only when told to."""

from __future__ import annotations

import pytest
import websocket
from servers import ServerProcess, call_api, prepare_database, server_environment

from cocreate.wsgi import production_app, proxy_hops
from config import ConfigError


def test_gevent_mode_refuses_a_process_gevent_has_not_patched(monkeypatch):
    # This test process is not monkey-patched, as gunicorn's plain sync worker would not be.
    monkeypatch.setenv("COCREATE_ASYNC_MODE", "gevent")
    with pytest.raises(ConfigError, match="gunicorn_conf.py"):
        production_app()


@pytest.mark.parametrize(("value", "hops"), [("", 0), (" ", 0), ("0", 0), ("1", 1), ("2", 2)])
def test_proxy_fixes_count_the_proxies(value, hops):
    assert proxy_hops(value) == hops


@pytest.mark.parametrize("value", ["yes", "-1", "1.5"])
def test_proxy_fixes_must_be_a_number(value):
    with pytest.raises(ConfigError, match="COCREATE_PROXY_FIXES"):
        proxy_hops(value)


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('serving') / 'serving.db'}"
    prepare_database(url)
    return url


def test_production_server_speaks_websocket(database_url):
    with ServerProcess(server_environment(database_url)) as server:
        address = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        raw = websocket.create_connection(address, timeout=5, origin=server.url)
        try:
            assert raw.recv().startswith("0{")  # Engine.IO's open packet, over WebSocket
        finally:
            raw.close()


def wrong_code_statuses(server: ServerProcess, address: str, attempts: int) -> list[int]:
    return [
        call_api(
            server,
            "POST",
            "/api/v1/join",
            {"code": "ZZZZZZ"},
            headers={"X-Forwarded-For": address},
        ).status
        for _ in range(attempts)
    ]


@pytest.mark.parametrize(("proxies", "limited_apart"), [("1", True), ("", False)])
def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    database_url, proxies, limited_apart
):
    """Behind one proxy, a venue's visitors are limited one by one; without the setting, a
    forged X-Forwarded-For cannot buy a client a fresh allowance."""
    extra = {"COCREATE_PROXY_FIXES": proxies, "COCREATE_WRONG_JOIN_CODE_RATE_LIMIT": "2/minute"}
    with ServerProcess(server_environment(database_url, extra=extra)) as server:
        assert wrong_code_statuses(server, "198.51.100.1", 3) == [404, 404, 429]
        assert wrong_code_statuses(server, "198.51.100.2", 1) == ([404] if limited_apart else [429])
