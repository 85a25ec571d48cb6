"""The browser tests' stack: a migrated SQLite database with the shipped config, a real
Prefect server on a free port and the served deployments in a worker subprocess.

Everything lives in one temporary folder; nothing touches ./var or ~/.prefect.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CONFIG, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SERVER_START_TIMEOUT = 90.0
DEPLOYMENTS_TIMEOUT = 90.0


@dataclass
class Stack:
    ui: str  # http://127.0.0.1:PORT
    api: str  # http://127.0.0.1:PORT/api
    db_url: str
    folder: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGINT the process group (Prefect shuts down cleanly), then escalate."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for(what: str, check: Callable[[], bool], timeout: float,
              procs: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    """Poll `check` until true, failing early (with the logs) if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p, log in zip(procs, logs, strict=True):
            if p.poll() is not None:
                raise RuntimeError(f"{what}: process exited ({p.returncode}); "
                                   f"log {log}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)  # polling interval, not a timing assumption
    tails = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{tails}")


@contextmanager
def danvan_stack(folder: Path) -> Iterator[Stack]:
    """Database + config + Prefect server + `serve` worker, torn down on exit."""
    from danvan_workflow.db.migrate import upgrade
    from danvan_workflow.db.session import engine_for
    from danvan_workflow.services.config import load
    from danvan_workflow.settings import reset_settings

    home = folder / "var"
    for d in (home, folder / "prefect"):
        d.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{home / 'danvan.db'}"
    port = free_port()
    danvan_env = {"DANVAN_HOME": str(home), "DANVAN_DATABASE_URL": db_url,
                  "DANVAN_CONFIG_DIR": str(CONFIG)}
    saved = {k: os.environ.get(k) for k in danvan_env}
    os.environ.update(danvan_env)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        reset_settings()
        upgrade(db_url)
        load(Path(CONFIG), actor="browser-test", engine=engine_for(db_url))
        yield from _serve(folder, port, danvan_env, db_url, procs)
    finally:
        for p in reversed(procs):
            _stop(p)
        engine_for.cache_clear()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()


def _serve(folder: Path, port: int, danvan_env: dict[str, str], db_url: str,
           procs: list[subprocess.Popen[bytes]]) -> Iterator[Stack]:
    """Start the Prefect server, wait for it, then `serve` every deployment."""
    prefect_home = folder / "prefect"
    ui, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update(danvan_env)
    base.update({"PREFECT_HOME": str(prefect_home),
                 "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                 "PREFECT_UI_ENABLED": "true",
                 "PREFECT_SERVER_UI_V2_ENABLED": "false",  # as engine.server_env sets it
                 "PREFECT_LOGGING_LEVEL": "INFO",
                 "PYTHONUNBUFFERED": "1"})
    # PREFECT_UI_API_URL: the UI asks /ui-settings where the API is; without it the
    # answer defaults to port 4200, i.e. possibly somebody else's server.
    server_env = dict(base, PREFECT_UI_API_URL=api, PREFECT_SERVER_API_HOST="127.0.0.1",
                      PREFECT_SERVER_API_PORT=str(port),
                      PREFECT_API_DATABASE_CONNECTION_URL=(
                          f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"))
    worker_env = dict(base, PREFECT_API_URL=api)
    server_log, worker_log = folder / "server.log", folder / "worker.log"
    with server_log.open("wb") as out:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)], env=server_env, cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True))
    _wait_for("Prefect server", lambda: httpx.get(f"{api}/health", timeout=2)
              .status_code == 200, SERVER_START_TIMEOUT, procs, [server_log])
    with worker_log.open("wb") as out:
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from danvan_workflow.engine import serve_all; serve_all()"],
            env=worker_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True))

    from flows.deployments import specs

    names = {s.name for s in specs()}

    def deployments_ready() -> bool:
        r = httpx.post(f"{api}/deployments/filter", json={"limit": 200}, timeout=5)
        return names <= {d["name"] for d in r.json()}

    _wait_for("served deployments", deployments_ready, DEPLOYMENTS_TIMEOUT, procs,
              [server_log, worker_log])
    yield Stack(ui=ui, api=api, db_url=db_url, folder=folder, env=worker_env)


def require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"headless Chromium not installed ({', '.join(missing)} missing)"
        if os.environ.get("DANVAN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DANVAN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    with danvan_stack(tmp_path_factory.mktemp("danvan-browser")) as st:
        yield st


def make_driver(profile: Path, locale: str = "vi-VN"):  # type: ignore[no-untyped-def]
    """Headless Chromium from Debian's packages, with the browser's locale (which decides
    how a native date input reads what is typed)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1400,1000", f"--lang={locale}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"intl.accept_languages": locale})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)


@contextmanager
def offline_selenium() -> Iterator[None]:
    saved = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download anything
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = saved


@pytest.fixture(scope="module")
def driver(stack: Stack, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    profile = tmp_path_factory.mktemp("chromium-profile")
    with offline_selenium():
        drv = make_driver(profile, "vi-VN")
        try:
            yield drv
        finally:
            drv.quit()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def locale_driver(driver: Any, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Callable[[str], Any]]:
    """A browser per locale: vi-VN is the module's browser, others are started on demand."""
    drivers: dict[str, Any] = {"vi-VN": driver}

    def get(locale: str) -> Any:
        if locale not in drivers:
            with offline_selenium():
                drivers[locale] = make_driver(tmp_path_factory.mktemp(f"chromium-{locale}"),
                                              locale)
        return drivers[locale]

    yield get
    for locale, drv in drivers.items():
        if locale != "vi-VN":
            drv.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember each phase's report on the item (for the failure screenshot below)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed browser test leaves FAILED-<test>.png and .html next to the screenshots."""
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed or "driver" not in request.fixturenames:
        return
    drv = request.getfixturevalue("driver")
    folder = request.getfixturevalue("shots") if "shots" in request.fixturenames else None
    folder = folder or Path(str(request.config.rootpath))
    name = f"FAILED-{request.node.name}"
    drv.save_screenshot(str(folder / f"{name}.png"))
    (folder / f"{name}.html").write_text(drv.page_source, encoding="utf-8")
    print(f"failure screenshot: {folder / name}.png (url {drv.current_url})")
