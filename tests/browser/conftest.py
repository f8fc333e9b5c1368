"""Playwright against a live server: Debian's Chromium, a real socket, strict CSP left on.

pytest-playwright owns the ``browser``, ``context`` and ``page`` fixtures; ours have other
names. Every page a test visits goes through ``Tab.check``: it is photographed, axe-core
finds no serious or critical violation, and the console shows no CSP violation or error.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from cocreate import create_app
from cocreate.accounts.models import Role
from cocreate.accounts.services import create_user, user_by_email
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_JSON = PROJECT_ROOT / "cocreate" / "demo" / "renewable-energy-draft.json"
AXE_PATHS = [
    PROJECT_ROOT / "static" / "vendor" / "axe.min.js",  # copied by `make vendor`
    PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js",
]
MODERATOR_EMAIL = "browser-mod@example.org"
MODERATOR_PASSWORD = "browser-moderator-pw-1"
SEVERE_IMPACTS = {"serious", "critical"}
SHOTS_KEY = pytest.StashKey[Path]()


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk (.ci/run does)"
    )
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # overrides pytest-playwright's
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@dataclass
class LiveServer:
    url: str
    app: object
    moderator_email: str = MODERATOR_EMAIL
    moderator_password: str = MODERATOR_PASSWORD


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a real port, on a SQLite file, with one moderator account."""
    database = tmp_path_factory.mktemp("live") / "browser.db"
    app = create_app(
        {
            "COCREATE_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        db.create_all()
        create_user(MODERATOR_EMAIL, MODERATOR_PASSWORD, role=Role.MODERATOR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@dataclass
class Demo:
    consultation_id: int
    join_code: str
    first_item_id: int


@pytest.fixture
def live_demo(live_server):
    """A demo consultation of this test's own, open and moderated by the test moderator."""
    with live_server.app.app_context():
        spec = parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name)
        consultation = import_draft(spec, moderators=[user_by_email(MODERATOR_EMAIL)])
        return Demo(
            consultation_id=consultation.id,
            join_code=consultation.join_code,
            first_item_id=consultation.documents[0].items[0].id,
        )


@pytest.fixture(scope="session")
def axe_source() -> str:
    for path in AXE_PATHS:
        if path.exists():
            return path.read_text(encoding="utf-8")
    pytest.fail(f"axe-core is missing: run `make vendor` (looked in {AXE_PATHS})")


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory, pytestconfig) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    pytestconfig.stash[SHOTS_KEY] = path
    return path


def pytest_terminal_summary(terminalreporter, config):
    if SHOTS_KEY in config.stash:
        terminalreporter.write_line(f"browser screenshots: {config.stash[SHOTS_KEY]}")


@dataclass
class Tab:
    """A page whose console is watched, with a helper that checks and photographs it."""

    page: object
    base_url: str
    axe_source: str
    shots: Path
    name: str
    problems: list[str] = field(default_factory=list)
    visited: int = 0

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return response

    def check(self, label: str, *, sizes: tuple[dict, ...] = ()) -> None:
        """Photograph the page as it is now (also at each of ``sizes``), run axe on it, and
        fail on console trouble."""
        self.page.wait_for_load_state("load")
        self.visited += 1
        stem = f"{self.name}-{self.visited:02d}-{label}"
        self.screenshot(f"{stem}.png", full_page=True)
        assert_accessible(self.page, self.axe_source, label)
        if sizes:
            original = self.page.viewport_size
            for size in sizes:
                self.page.set_viewport_size(size)
                size_label = f"{label}-{size['width']}x{size['height']}"
                self.screenshot(f"{self.name}-{self.visited:02d}-{size_label}.png")
                assert_accessible(self.page, self.axe_source, size_label)
            self.page.set_viewport_size(original)
        self.assert_quiet_console()

    def screenshot(self, name: str, **options) -> None:
        # caret="hide" (the default) leaves style="" on every input; htmx then copies those
        # attributes while settling a swap, which the CSP rightly reports as inline style.
        self.page.screenshot(path=self.shots / name, caret="initial", **options)

    def assert_quiet_console(self) -> None:
        problems, self.problems = self.problems, []  # report each once
        assert not problems, "browser console:\n" + "\n".join(problems)


def assert_accessible(page, axe_source: str, label: str) -> None:
    # evaluate() goes through the DevTools protocol, so the page's CSP stays on and unbent.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )
    severe = [v for v in violations if v["impact"] in SEVERE_IMPACTS]
    report = "\n".join(
        f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n    "
        + "\n    ".join(v["targets"])
        for v in severe
    )
    assert not severe, f"axe on {label} ({page.url}):\n{report}"


@pytest.fixture
def open_tab(browser, live_server, axe_source, screenshot_dir, request):
    """Factory: a fresh browser context (own cookies) and its page, closed at teardown."""
    tabs = []

    def open_tab(name: str, **context_args) -> Tab:
        page = browser.new_context(**context_args).new_page()
        page.set_default_timeout(10_000)
        test_name = request.node.name.removeprefix("test_")
        tab = Tab(page, live_server.url, axe_source, screenshot_dir, f"{test_name}-{name}")
        page.on("console", lambda message: watch_console(tab, message))
        page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
        tabs.append(tab)
        return tab

    yield open_tab
    for tab in tabs:
        tab.page.context.close()
    # Whatever the console said after a test's last check still counts.
    late = [problem for tab in tabs for problem in tab.problems]
    if late:
        pytest.fail("browser console:\n" + "\n".join(late))


def watch_console(tab: Tab, message) -> None:
    text = message.text
    if message.location.get("url", "").endswith("/favicon.ico"):
        return  # the browser asks for it on its own; the app has none (yet)
    if message.type == "error" or "Content Security Policy" in text:
        tab.problems.append(f"console {message.type}: {text} ({message.location})")
