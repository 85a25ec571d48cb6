"""The running engine: a local Prefect server plus the served deployments, in one command.

`up()` starts `prefect server start` as a subprocess (its home and SQLite database in
`DANVAN_HOME/prefect`), waits for `/api/health`, points this process at it and
serves every deployment (`prefect.serve`). Ctrl-C or SIGTERM stops serving, then
the server. Deployments upsert by name, so starting again resumes.

`deploy()` registers the same deployments to a process work pool, with the code
pulled from the project directory on each worker machine (`flow.from_source`).

Crashed runs: every flow run sends a heartbeat event (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`,
30 s by default here; Prefect's minimum) and both `up()` and `deploy()` create the
automation that marks a Running flow run Crashed when its heartbeats stop (the machine
or the process died, so nothing else can report the crash).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from danvan_workflow.errors import UserError
from danvan_workflow.settings import get_settings

log = logging.getLogger("danvan_workflow.engine")

PROJECT_DIR = Path(__file__).resolve().parents[1]

HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
DEFAULT_HEARTBEAT_SECONDS = 30  # Prefect sends no heartbeat more often than every 30 s
#: a run is Crashed when no heartbeat came for this many heartbeat intervals
MISSED_HEARTBEATS = 3
CRASH_AUTOMATION_NAME = "danvan: đánh dấu Crashed khi mất heartbeat"


def prefect_home() -> Path:
    home = (get_settings().home / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL",
                   f"sqlite+aiosqlite:///{home / 'prefect.db'}")
    env.pop("PREFECT_API_URL", None)  # the server itself needs no client URL
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # operators use the V1 interface (docs/huong-dan-van-hanh.md, the browser tests): the
    # address they are given must open it, not Prefect 3.8's default V2
    env.setdefault("PREFECT_SERVER_UI_V2_ENABLED", "false")
    return env


def start_server(port: int, host: str = "127.0.0.1", home: Path | None = None,
                 log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `prefect server start` in its own process group (Ctrl-C reaches us first)."""
    home = home or prefect_home()
    log_path = log_path or home / "server.log"
    out = log_path.open("ab")
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port",
           str(port)]
    env = server_env(home)
    # the UI must call this server's API, not whatever PREFECT_UI_API_URL defaults to
    env["PREFECT_UI_API_URL"] = f"http://{host}:{port}/api"
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_healthy(api_url: str, proc: subprocess.Popen[bytes] | None = None,
                 timeout: float = 90.0) -> None:
    """Poll `<api>/health` until it answers (or the server process exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise UserError(f"máy chủ Prefect dừng khi khởi động (mã {proc.returncode}); "
                            f"xem {prefect_home() / 'server.log'}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise UserError(f"máy chủ Prefect không trả lời tại {api_url} sau {timeout:.0f} giây")


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def client_settings(api_url: str, home: Path | None = None) -> Iterator[None]:
    """Point this process (and the flow-run subprocesses it starts) at `api_url`."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    os.environ["PREFECT_API_URL"] = api_url
    updates: dict[Any, Any] = {PREFECT_API_URL: api_url}
    if home is not None:
        os.environ["PREFECT_HOME"] = str(home)
        updates[PREFECT_HOME] = str(home)
    with temporary_settings(updates=updates):
        yield


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def install_signals() -> None:
    """Ctrl-C and SIGTERM both stop serving (SIGINT may be ignored when started in the
    background by a shell: restore Python's handler)."""
    if threading_main():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _sigterm)


def heartbeat_seconds() -> int:
    """The flow-run heartbeat interval: PREFECT_FLOWS_HEARTBEAT_FREQUENCY (or its old name
    PREFECT_RUNNER_HEARTBEAT_FREQUENCY), else 30; never below Prefect's minimum of 30."""
    raw = os.environ.get(HEARTBEAT_ENV) or os.environ.get("PREFECT_RUNNER_HEARTBEAT_FREQUENCY")
    try:
        value = int(raw) if raw else DEFAULT_HEARTBEAT_SECONDS
    except ValueError:
        raise UserError(f"{HEARTBEAT_ENV} phải là số giây (số nguyên), không phải {raw!r}",
                        field=HEARTBEAT_ENV) from None
    return max(value, DEFAULT_HEARTBEAT_SECONDS)


def enable_heartbeats() -> int:
    """Make the flow runs this process starts (serve) send heartbeats."""
    seconds = heartbeat_seconds()
    os.environ[HEARTBEAT_ENV] = str(seconds)
    return seconds


def crash_automation(seconds: int | None = None) -> Any:
    """Prefect's recipe for zombie flow runs ("Detect zombie flows"): after a heartbeat,
    expect another heartbeat or a final state within MISSED_HEARTBEATS intervals, for
    each flow run; otherwise set the run to Crashed."""
    from datetime import timedelta

    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    seconds = seconds or heartbeat_seconds()
    return AutomationCore(
        name=CRASH_AUTOMATION_NAME,
        description=(f"Lượt chạy không gửi heartbeat trong {MISSED_HEARTBEATS * seconds} giây "
                     "(máy hoặc tiến trình chạy quy trình đã dừng) được đánh dấu Crashed."),
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=MISSED_HEARTBEATS * seconds),
        ),
        actions=[ChangeFlowRunState(
            state=StateType.CRASHED,
            message=f"Mất heartbeat hơn {MISSED_HEARTBEATS * seconds} giây: tiến trình chạy "
                    "quy trình đã dừng đột ngột.")],
    )


def ensure_crash_automation(seconds: int | None = None) -> str:
    """Create (or bring up to date) the one crash automation; return what was done."""
    from prefect.client.orchestration import get_client

    wanted = crash_automation(seconds)

    def essence(a: Any) -> dict[str, Any]:
        data: dict[str, Any] = a.model_dump(mode="json", include={
            "description", "enabled", "trigger", "actions", "actions_on_trigger",
            "actions_on_resolve"})
        data["trigger"].pop("id", None)  # a fresh id on every model
        for key in ("after", "expect"):  # sets: their JSON lists come in any order
            data["trigger"][key] = sorted(data["trigger"].get(key) or [])
        return data

    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(CRASH_AUTOMATION_NAME)
        for extra in found[1:]:
            client.delete_automation(extra.id)
        if not found:
            client.create_automation(wanted)
            return "created"
        have = found[0]
        if essence(have) == essence(wanted):
            return "unchanged"
        client.update_automation(have.id, wanted)
        return "updated"


def serve_all(limit: int | None = None) -> None:
    """Serve every deployment until interrupted (the current PREFECT_API_URL)."""
    from prefect import serve

    install_signals()
    from flows.deployments import all_deployments

    ensure_crash_automation(enable_heartbeats())
    publish_dashboards_soon()
    serve(*all_deployments(), limit=limit, print_starting_message=True)


DASHBOARDS_DEPLOYMENT = "publish-dashboards/Cập nhật bảng theo dõi"


def publish_dashboards_soon() -> None:
    """Publish the dashboards as the engine starts (in a thread, beside `serve`), so an
    operator finds them at once instead of after the next 07:30 sweep. A failure is
    logged and does not stop the engine."""
    import contextvars
    import threading

    def run() -> None:
        from flows.dashboards import refresh_dashboards

        try:
            refresh_dashboards()
        except Exception:  # the engine serves on; the run shows as Failed with its cause
            log.exception("publishing the dashboards at start failed")

    # the thread sees this process's Prefect settings (`client_settings` is a context):
    # without them it would start a temporary server of its own
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="danvan-dashboards-at-start",
                     daemon=True).start()


HTTP_PORT_ENV = "DANVAN_HTTP_PORT"
DEFAULT_HTTP_PORT = 8787


def serve_http_soon(host: str = "127.0.0.1") -> None:
    """The engine's small HTTP service (Zalo webhooks, units' calendar feeds), in a thread
    beside `serve`, on 127.0.0.1:8787 (`DANVAN_HTTP_PORT`; 0 turns it off). A port in use
    is logged and the engine goes on (`danvan http serve` may already run it)."""
    import threading

    port = int(os.environ.get(HTTP_PORT_ENV, DEFAULT_HTTP_PORT))
    if port == 0:
        return

    def run() -> None:
        import uvicorn

        from danvan_workflow.adapters.webhooks_app import create_app

        try:
            uvicorn.Server(uvicorn.Config(create_app(), host=host, port=port,
                                          log_level="warning", lifespan="off",
                                          proxy_headers=True,
                                          forwarded_allow_ips="127.0.0.1")).run()
        except (OSError, SystemExit):
            log.warning("HTTP service not started on %s:%s (port in use?)", host, port)

    threading.Thread(target=run, name="danvan-http", daemon=True).start()
    print(f"Dịch vụ HTTP (webhook Zalo, lịch đơn vị): http://{host}:{port}", flush=True)


def up(port: int = 4200, host: str = "127.0.0.1", no_server: bool = False,
       limit: int | None = None) -> None:
    install_signals()
    serve_http_soon()
    if no_server:
        api = os.environ.get("PREFECT_API_URL")
        if not api:
            raise UserError("cần biến môi trường PREFECT_API_URL khi dùng --no-server",
                            field="--no-server")
        wait_healthy(api, timeout=30)
        serve_all(limit)
        return
    home = prefect_home()
    api = f"http://{host}:{port}/api"
    proc = start_server(port, host, home)
    try:
        wait_healthy(api, proc)
        print(f"Máy chủ Prefect: http://{host}:{port} (dữ liệu: {home})", flush=True)
        with client_settings(api, home):
            serve_all(limit)
    except KeyboardInterrupt:
        pass
    finally:
        print("Đang dừng máy chủ Prefect…", flush=True)
        stop_server(proc)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def ensure_pool(pool: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))


def deploy(pool: str, project_dir: Path | None = None) -> list[str]:
    """Register every deployment to the process work pool `pool` (created when missing).

    Workers run the flows from `project_dir` (the same path on every worker machine,
    with the project installed in its environment); no image is built.
    """
    from flows.deployments import specs

    source = str((project_dir or PROJECT_DIR).resolve())
    ensure_pool(pool)
    seconds = heartbeat_seconds()
    names = []
    for s in specs():
        module = s.flow.fn.__module__.rsplit(".", 1)[-1]
        deploy_from_source(source, f"flows/{module}.py:{s.flow.fn.__name__}", s.name, pool,
                           heartbeat=seconds, description=s.description, tags=s.tags,
                           schedules=s.schedules or None, parameters=s.parameters or None)
        names.append(f"{s.flow.name}/{s.name}")
    ensure_crash_automation(seconds)
    from prefect.deployments import run_deployment

    run_deployment(DASHBOARDS_DEPLOYMENT, timeout=0)  # a worker publishes them at once
    return names


def deploy_from_source(source: str, entrypoint: str, name: str, pool: str, *,
                       heartbeat: int | None = None, **options: Any) -> Any:
    """One deployment to a process work pool, its runs sending heartbeats every
    `heartbeat` seconds (job variable `env`, so whatever the worker's environment)."""
    from prefect import Flow

    flow = Flow.from_source(source=source, entrypoint=entrypoint)
    env = {HEARTBEAT_ENV: str(heartbeat or heartbeat_seconds())}
    return flow.deploy(name=name, work_pool_name=pool, job_variables={"env": env},  # type: ignore[union-attr]
                       build=False, push=False, print_next_steps=False, ignore_warnings=True,
                       **options)
