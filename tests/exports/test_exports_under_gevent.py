"""Exports share the production server's one event loop with the live sessions (gevent,
see ``cocreate/concurrency.py``): while a large export is written, the other greenlets
must still run, or votes go unacknowledged and clients are dropped. Each export runs in a
monkey-patched process of its own (``gevent_export.py``), as the server does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cocreate.exports.tables import BATCH

SCRIPT = Path(__file__).with_name("gevent_export.py")


def export_under_gevent(tmp_path: Path, fmt: str, votes: int) -> dict:
    url = f"sqlite:///{tmp_path / 'gevent.db'}"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), url, fmt, str(votes)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_live_sessions_run_while_a_long_table_export_is_written(tmp_path, fmt):
    # Three batches of votes: the export gives way at least once a batch.
    result = export_under_gevent(tmp_path, fmt, votes=3 * BATCH)
    assert result["bytes"] > 0
    assert result["woke"] >= 3


def test_live_sessions_run_while_the_pdf_is_laid_out(tmp_path):
    result = export_under_gevent(tmp_path, "pdf", votes=100)
    assert result["bytes"] > 0
    # WeasyPrint lays the report out in another thread; the loop wakes throughout.
    assert result["woke"] >= 10
