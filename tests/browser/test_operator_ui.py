"""The operator's path through the real Prefect UI, in headless Chromium.

A real Prefect server and the served deployments run in subprocesses (see conftest.py);
the browser finds the Vietnamese deployments, fills the typed parameter forms, resumes
a paused confirmation, and the test checks the database and the artifacts.

Screenshots of every step go to a temporary folder (printed), or to DANVAN_SCREENSHOTS
(a relative path is taken from the project root): `DANVAN_SCREENSHOTS=docs/screenshots`
regenerates the pictures of docs/huong-dan-van-hanh.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import func, select

from danvan_workflow.core.vietnamese import format_date_long
from danvan_workflow.db.models import AuditEntry, Deadline, Obligation, Plan, Submission, Unit
from danvan_workflow.db.session import engine_for, session_scope
from tests.browser.conftest import Stack
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

T = TypeVar("T")

UI_TIMEOUT = 30.0  # one page or element
RUN_TIMEOUT = 90.0  # one flow run, from submit to a final state
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
OPERATOR_DEPLOYMENTS = [
    "Ghi nhận báo cáo đã nộp", "Gia hạn – miễn báo cáo", "Yêu cầu báo cáo chuyên đề",
    "Đăng ký mô hình Dân vận khéo", "Duyệt mô hình", "Ghi kết quả kiểm tra",
    "Chấm điểm thi đua", "Gửi thông báo thử", "Xem tình hình một đơn vị",
    "Rút lại báo cáo đã ghi nhận",
]
WITHDRAW = "Rút lại báo cáo đã ghi nhận"
DIALOG = "//div[@role='dialog']"
# typed as an operator types it: day/month/year, both numbers <= 12, so a browser reading
# mm/dd (en-US) would store 12/03/2026 if the form used its date picker
TYPED, MEANT = "03/12/2026", dt.date(2026, 12, 3)
SUBMIT = "Ghi nhận báo cáo đã nộp"
DOC_NUMBER = "15-BC/ĐU"


# --- helpers ---------------------------------------------------------------------------


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `check` (no browser involved) until it returns something truthy."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(None, timeout, poll_frequency=0.5,  # type: ignore[arg-type]
                             ignored_exceptions=(httpx.HTTPError,)).until(lambda _: check())
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}") from None


def xp_literal(text: str) -> str:
    """An XPath string literal for any text (titles may contain quotes)."""
    if "'" not in text:
        return f"'{text}'"
    parts = text.split("'")
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in parts) + ")"


class Operator:
    """What an operator does in the Prefect UI, by visible text and labels."""

    def __init__(self, driver: Any, stack: Stack, shots: Path) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.d = driver
        self.stack = stack
        self.shots = shots
        self.wait = WebDriverWait(driver, UI_TIMEOUT)

    # navigation -------------------------------------------------------------------
    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.d.save_screenshot(str(path))
        return path

    def el(self, xpath: str) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.presence_of_element_located((By.XPATH, xpath)))

    def click(self, xpath: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait.until(ec.element_to_be_clickable((By.XPATH, xpath))).click()

    def button(self, text: str, within: str = "") -> None:
        self.click(f"{within}//button[normalize-space(.)={xp_literal(text)}]")

    def see(self, text: str) -> None:
        """Wait until `text` is visible somewhere on the page."""
        self.el(f"//*[contains(normalize-space(.), {xp_literal(text)})]"
                f"[not(self::script)][not(self::style)]")
        self.wait.until(lambda d: text in d.find_element("tag name", "body").text)

    def search_deployment(self, name: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.el("//input[@type='search' and contains(@placeholder, 'Search deployments')]")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(name)
        self.el(f"//a[contains(@href, '/deployments/deployment/')]"
                f"[normalize-space(.)={xp_literal(name)}]")

    def open_deployments(self) -> None:
        self.d.get(f"{self.stack.ui}/deployments")
        self.el("//a[contains(@href, '/deployments/deployment/')]")

    def open_custom_run(self, deployment: str) -> None:
        """Deployments → search → the deployment → Run → Custom run."""
        self.open_deployments()
        self.search_deployment(deployment)
        self.click(f"//a[contains(@href, '/deployments/deployment/')]"
                   f"[normalize-space(.)={xp_literal(deployment)}]")
        self.el(f"//*[contains(@class, 'p-bread-crumbs')]//*[normalize-space(.)="
                f"{xp_literal(deployment)}]")
        self.button("Run")
        self.button("Custom run")
        self.el("//h3[normalize-space(.)='Parameters']")

    # the schema form ----------------------------------------------------------------
    def prop_xpath(self, title: str) -> str:
        t, opt = xp_literal(title), xp_literal(f"{title} (Optional)")
        return (f"//span[contains(@class, 'schema-form-property__label')]"
                f"[normalize-space(.)={t} or normalize-space(.)={opt}]"
                f"/ancestor::div[contains(concat(' ', normalize-space(@class), ' '),"
                f" ' schema-form-property ')][1]")

    def fill_text(self, title: str, value: str, within: str = "") -> None:
        """A text field by its Vietnamese title; `str | None` fields need 'str' first."""
        prop = within + self.prop_xpath(title)
        self.el(prop)
        from selenium.webdriver.common.by import By

        toggles = self.d.find_elements(By.XPATH, f"{prop}//button[normalize-space(.)='str']")
        if toggles and toggles[0].get_attribute("aria-selected") != "true":
            toggles[0].click()
        box = self.el(f"{prop}//fieldset//*[self::input or self::textarea]")
        box.clear()
        box.send_keys(value)
        self.wait.until(lambda _: box.get_attribute("value") == value)

    def choose(self, title: str, starts_with: str, within: str = DIALOG) -> str:
        """Pick, in a list field, the option that starts with `starts_with`; its text."""
        from selenium.webdriver.support.ui import Select

        prop = within + self.prop_xpath(title)
        box = Select(self.el(f"{prop}//select[option]"))  # V1 shows a native list
        option = next(o for o in box.options if o.text.strip().startswith(starts_with))
        text = str(option.text).strip()
        box.select_by_visible_text(option.text)
        self.wait.until(lambda _: box.first_selected_option.text.strip() == text)
        return text

    def switch_on(self, title: str, within: str = DIALOG) -> None:
        """A yes/no field (a switch) by its title."""
        switch = f"{within}{self.prop_xpath(title)}//label[@role='switch']"
        self.click(switch)
        self.wait.until(lambda _: self.el(switch).get_attribute("aria-checked") == "true")

    def answer(self, run_id: str, fills: dict[str, str], *, confirm: bool,
               expect: list[str], shot: str, picks: dict[str, str] | None = None) -> None:
        """The paused run: Resume, read the form's question, correct fields, confirm,
        Submit — as an operator does."""
        self.open_run(run_id)
        self.see("Paused")
        self.button("Resume")
        found = [self.el(f"{DIALOG}//*[contains(normalize-space(.), {xp_literal(text)})]"
                         f"[not(*[contains(normalize-space(.), {xp_literal(text)})])]")
                 for text in expect]
        assert len(found) == len(expect)
        # the question is the first field's text (flows/_forms.py): in the picture
        first = self.el(f"({DIALOG}//div[contains(concat(' ', normalize-space(@class), ' '),"
                        f" ' schema-form-property ')])[1]")
        self.wait.until(lambda d: d.execute_script(
            "arguments[0].scrollIntoView({block: 'start'});"
            "const r = arguments[0].getBoundingClientRect(); return r.height > 0 && r.top < 200;",
            first))
        self.shot(shot)
        for title, value in fills.items():
            self.fill_text(title, value, within=DIALOG)
        for title, prefix in (picks or {}).items():
            self.choose(title, prefix)
        if picks:
            self.shot(f"{shot}-da-chon")
        if confirm:
            self.switch_on("Xác nhận đúng")
        self.submit_dialog()

    def submit_dialog(self, attempts: int = 3) -> None:
        """Submit; if the server was busy (the UI says "Something went wrong" and keeps the
        dialog open), submit again, as an operator would."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        for attempt in range(attempts):
            self.button("Submit", within=DIALOG)
            try:
                WebDriverWait(self.d, UI_TIMEOUT / 2).until(
                    lambda d: not d.find_elements(By.XPATH, DIALOG))
                return
            except TimeoutException:
                if attempt == attempts - 1:
                    raise

    def fill_json(self, parameters: dict[str, Any]) -> None:
        """Parameters ⋮ → Use JSON input, then type the JSON."""
        from selenium.webdriver.common.keys import Keys

        self.click("//h3[normalize-space(.)='Parameters']/following-sibling::div//button")
        self.button("Use JSON input")
        box = self.el("//textarea[contains(@class, 'p-code-input__textarea')]")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(json.dumps(parameters, ensure_ascii=False))

    def submit_form(self, attempts: int = 3) -> None:
        """Submit the run form; if the server was busy (the UI says "Something went wrong"
        and stays on the form), submit again, as an operator would. Success leaves the
        form's page."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        form_url = self.d.current_url
        for attempt in range(attempts):
            self.button("Submit")
            try:
                WebDriverWait(self.d, UI_TIMEOUT / 2).until(
                    lambda d: d.current_url != form_url)
                return
            except TimeoutException:
                if attempt == attempts - 1:
                    raise

    # runs -----------------------------------------------------------------------------
    def open_run(self, run_id: str) -> None:
        self.d.get(f"{self.stack.ui}/runs/flow-run/{run_id}")
        self.el("//li[contains(@class, 'p-tab')][normalize-space(.)='Logs']")
        self.see("Beginning flow run")  # the logs have loaded

    def tab(self, name: str) -> None:
        self.click(f"//li[contains(@class, 'p-tab')][normalize-space(.)={xp_literal(name)}]")


class RetryBusy(httpx.BaseTransport):
    """Prefect's server answers 503 when its SQLite database is briefly busy; Prefect's
    own client retries those, so the test's client does too (a bounded number of times)."""

    def __init__(self, inner: httpx.BaseTransport, attempts: int = 5) -> None:
        self.inner, self.attempts = inner, attempts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.attempts - 1):
            response = self.inner.handle_request(request)
            if response.status_code != 503:
                return response
            response.read()
            response.close()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Api:
    def __init__(self, stack: Stack) -> None:
        self.base = stack.api
        self.http = httpx.Client(base_url=stack.api, timeout=10,
                                 transport=RetryBusy(httpx.HTTPTransport()))

    def deployment_id(self, name: str) -> str:
        r = self.http.post("/deployments/filter",
                           json={"deployments": {"name": {"any_": [name]}}})
        r.raise_for_status()
        return str(r.json()[0]["id"])

    def runs(self, deployment_id: str) -> list[dict[str, Any]]:
        r = self.http.post("/flow_runs/filter", json={
            "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
            "sort": "EXPECTED_START_TIME_DESC"})
        r.raise_for_status()
        return list(r.json())

    def run(self, run_id: str) -> dict[str, Any]:
        r = self.http.get(f"/flow_runs/{run_id}")
        r.raise_for_status()
        return dict(r.json())

    def new_run(self, deployment_id: str, before: set[str]) -> dict[str, Any]:
        return wait_until(lambda: next((r for r in self.runs(deployment_id)
                                        if r["id"] not in before), None),
                          UI_TIMEOUT, "the flow run the form created")

    def final(self, run_id: str, timeout: float = RUN_TIMEOUT) -> dict[str, Any]:
        return wait_until(lambda: (r := self.run(run_id))["state_type"] in FINAL and r,
                          timeout, f"flow run {run_id} to finish")

    def state(self, run_id: str, state_type: str, seen: set[str] | None = None
              ) -> dict[str, Any]:
        """Wait for `state_type` in a state not in `seen` (a run pauses more than once)."""
        seen = seen if seen is not None else set()

        def reached() -> dict[str, Any] | None:
            r = self.run(run_id)
            if r["state_type"] in FINAL and r["state_type"] != state_type:
                raise AssertionError(f"run ended {r['state_type']}: {r['state']}")
            ok = r["state_type"] == state_type and r["state"]["id"] not in seen
            return r if ok else None

        r = wait_until(reached, RUN_TIMEOUT, f"flow run {run_id} to be {state_type}")
        seen.add(r["state"]["id"])
        return r

    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        r = self.http.post("/artifacts/filter",
                           json={"artifacts": {"flow_run_id": {"any_": [run_id]}}})
        r.raise_for_status()
        return list(r.json())

    def logs(self, run_id: str) -> str:
        r = self.http.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}},
                                                 "limit": 200})
        r.raise_for_status()
        return "\n".join(x["message"] for x in r.json())


def counts(db_url: str) -> dict[str, int]:
    with session_scope(engine_for(db_url)) as s:
        return {t.__tablename__: int(s.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (Deadline, Submission, AuditEntry)}


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("DANVAN_SCREENSHOTS")
    if env:
        folder = Path(env) if Path(env).is_absolute() else ROOT / env
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("screenshots")
    print("screenshots:", folder)
    return folder


@pytest.fixture(scope="module")
def ui(driver: Any, stack: Stack, shots: Path) -> Operator:
    return Operator(driver, stack, shots)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    a = Api(stack)
    yield a
    a.http.close()


_picked: set[int] = set()


def pick_deadline(db_url: str, exclude: int | None = None,
                  skip_submitted: bool = False) -> dict[str, Any]:
    """A real open 19-KH/BCĐ deadline whose period began more than a month ago (each
    call with `skip_submitted` a different one)."""
    today = dt.date.today()
    with session_scope(engine_for(db_url)) as s:
        row = s.execute(
            select(Deadline.id, Plan.code, Obligation.code, Unit.code, Deadline.period_key,
                   Deadline.period_start, Deadline.due_on)
            .join(Obligation, Deadline.obligation_id == Obligation.id)
            .join(Plan, Obligation.plan_id == Plan.id).join(Unit, Deadline.unit_id == Unit.id)
            .where(Plan.code == "19-KH/BCĐ", Deadline.status == "open",
                   Deadline.id != (exclude or -1),
                   Deadline.id.not_in(_picked if skip_submitted else set()),
                   Deadline.period_start.is_not(None), Deadline.due_on.is_not(None),
                   Deadline.period_start < today - dt.timedelta(days=30),
                   Deadline.due_on > Deadline.period_start + dt.timedelta(days=30))
            .order_by(Deadline.due_on.desc(), Unit.code)).first()
    assert row is not None, "the shipped config has no open 19-KH/BCĐ deadline"
    keys = ("id", "plan", "obligation", "unit", "period", "period_start", "due_on")
    if skip_submitted:
        _picked.add(row[0])
    return dict(zip(keys, row, strict=True))


@pytest.fixture(scope="module")
def open_deadline(stack: Stack) -> dict[str, Any]:
    return pick_deadline(stack.db_url)


# --- tests -----------------------------------------------------------------------------


def test_operator_deployments_are_listed(ui: Operator) -> None:
    ui.d.get(ui.stack.ui)  # the address the guide gives opens the interface it describes
    ui.el("//a[contains(@href, '/deployments')]")
    assert "/v2" not in ui.d.current_url, ui.d.current_url
    ui.open_deployments()
    ui.see(SUBMIT)
    ui.shot("01-danh-sach-thao-tac")
    for name in OPERATOR_DEPLOYMENTS:
        ui.search_deployment(name)


def _received(dl: dict[str, Any]) -> tuple[str, dt.date]:
    """03/12/2026 when the deadline's period has begun by then (it has, for the shipped
    plans, from that day on); otherwise yesterday."""
    if dl["period_start"] <= MEANT <= dt.date.today():
        return TYPED, MEANT
    day = dt.date.today() - dt.timedelta(days=1)
    return day.strftime("%d/%m/%Y"), day


@pytest.mark.parametrize("locale", ["vi-VN", "en-US"])
def test_record_submission_through_the_form(locale: str, stack: Stack, api: Api,
                                            shots: Path, locale_driver: Any) -> None:
    """The operator types the date day/month/year; whatever the browser's locale, the
    date is echoed back spelled out, confirmed, and stored as meant."""
    ui = Operator(locale_driver(locale), stack, shots / locale)
    ui.shots.mkdir(exist_ok=True)
    dl = pick_deadline(stack.db_url, exclude=None if locale == "vi-VN" else -1,
                       skip_submitted=True)
    typed, meant = _received(dl)
    dep = api.deployment_id(SUBMIT)
    before = {r["id"] for r in api.runs(dep)}

    ui.open_custom_run(SUBMIT)
    ui.shot("02-ghi-nhan-form-trong")
    ui.fill_text("Số kế hoạch", dl["plan"])
    ui.fill_text("Mã nghĩa vụ báo cáo", dl["obligation"])
    ui.fill_text("Mã đơn vị báo cáo", dl["unit"])
    ui.fill_text("Mã kỳ báo cáo", dl["period"])
    ui.fill_text("Ngày nhận báo cáo", typed)
    ui.fill_text("Số văn bản", DOC_NUMBER)
    ui.d.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                        ui.el(ui.prop_xpath("Số văn bản")))
    ui.shot("03-ghi-nhan-form-da-dien")
    start = counts(stack.db_url)
    ui.submit_form()

    run_id = api.new_run(dep, before)["id"]
    seen: set[str] = set()
    api.state(run_id, "PAUSED", seen)
    assert counts(stack.db_url) == start  # nothing written before the date is confirmed
    spelled = f"Ngày nhận báo cáo: {format_date_long(meant)}"
    ui.answer(run_id, {}, confirm=True, expect=[spelled], shot="04-xac-nhan-ngay")
    run = api.final(run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["parameters"]["data"]["received_on"] == typed

    with session_scope(engine_for(stack.db_url)) as s:
        d = s.get(Deadline, dl["id"])
        assert d is not None
        assert d.status in ("submitted_on_time", "submitted_late")
        sub = s.execute(select(Submission).where(Submission.deadline_id == dl["id"])).scalar_one()
        assert sub.document_number == DOC_NUMBER
        assert sub.received_on == meant
        assert sub.recorded_by == "prefect-ui"
        status = d.status

    arts = api.artifacts(run["id"])
    text = json.dumps([a["data"] for a in arts], ensure_ascii=False)
    label = {"submitted_on_time": "Đã nộp đúng hạn", "submitted_late": "Đã nộp trễ hạn"}[status]
    assert "Đã ghi nhận báo cáo" in text and dl["unit"] in text and label in text, text
    assert status not in text, "internal status codes must not reach the operator"
    if locale == "en-US":
        return

    ui.open_run(run["id"])
    ui.see("Completed")
    ui.tab("Artifacts")
    ui.see("danvan-thao-tac")
    ui.shot("05-ghi-nhan-ket-qua")
    art = next(a for a in arts if a["key"] == "danvan-thao-tac")
    ui.d.get(f"{ui.stack.ui}/artifacts/artifact/{art['id']}")  # = a click on the card
    ui.see("Đã ghi nhận báo cáo của")
    ui.see(dl["unit"])
    ui.shot("06-ghi-nhan-artifact")

    # recorded by mistake: withdrawn through its form, with the reason; the operator
    # names the unit and picks the report from the list the run offers
    dep = api.deployment_id(WITHDRAW)
    before = {r["id"] for r in api.runs(dep)}
    ui.open_custom_run(WITHDRAW)
    ui.fill_text("Mã đơn vị báo cáo", dl["unit"])
    ui.fill_text("Lý do rút lại", "Ghi nhầm: báo cáo của đơn vị khác")
    ui.shot("07-rut-lai-form")
    ui.submit_form()
    run_id = api.new_run(dep, before)["id"]
    api.state(run_id, "PAUSED", set())
    ui.answer(run_id, {}, confirm=False, expect=["Chọn báo cáo cần rút lại"],
              shot="07a-rut-lai-chon", picks={"Chọn báo cáo cần rút lại": f"Số {dl['id']} — "})
    run = api.final(run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    with session_scope(engine_for(stack.db_url)) as s:
        d = s.get(Deadline, dl["id"])
        assert d is not None and d.status == "open"
        assert s.execute(select(Submission).where(Submission.deadline_id == dl["id"])
                         ).scalar_one_or_none() is None
        trail = s.execute(select(AuditEntry.action, AuditEntry.note).where(
            AuditEntry.entity == "deadline", AuditEntry.entity_id == str(dl["id"]))
            .order_by(AuditEntry.id)).all()
    assert [a for a, _ in trail][-2:] == ["deadline.submitted", "deadline.submission_withdrawn"]
    assert trail[-1][1] == "Ghi nhầm: báo cáo của đơn vị khác"
    ui.open_run(run["id"])
    ui.see("Completed")
    ui.shot("08-rut-lai-xong")

    # the dashboards: published at start and after each action, rolled up by area
    ui.d.get(f"{ui.stack.ui}/artifacts/key/danvan-tong-hop-theo-dia-ban")
    ui.see("Tổng hợp theo địa bàn")
    ui.click("(//a[contains(@href, '/artifacts/artifact/')])[1]")  # the latest
    ui.see("Quá hạn nhiều nhất")
    ui.shot("16-tong-hop-theo-dia-ban")


def test_mistakes_are_asked_again_and_corrected_in_the_browser(
        ui: Operator, api: Api) -> None:
    """An impossible date and an unknown unit: the run pauses with the form, the problem
    named in Vietnamese; the operator corrects each in the browser and the run completes.
    No Failed run, no traceback, nothing written before the corrections."""
    dl = pick_deadline(ui.stack.db_url, skip_submitted=True, exclude=-2)
    typed, meant = _received(dl)
    dep = api.deployment_id(SUBMIT)
    start = counts(ui.stack.db_url)
    before = {r["id"] for r in api.runs(dep)}
    ui.open_custom_run(SUBMIT)
    ui.fill_text("Số kế hoạch", dl["plan"])
    ui.fill_text("Mã nghĩa vụ báo cáo", dl["obligation"])
    ui.fill_text("Mã đơn vị báo cáo", "TN.KHONG_CO")
    ui.fill_text("Mã kỳ báo cáo", dl["period"])
    ui.fill_text("Ngày nhận báo cáo", "31/02/2026")
    ui.submit_form()
    run_id = api.new_run(dep, before)["id"]
    seen: set[str] = set()

    api.state(run_id, "PAUSED", seen)  # 1. the impossible date
    assert counts(ui.stack.db_url) == start
    ui.answer(run_id, {"Ngày nhận báo cáo": typed}, confirm=False,
              expect=["Chưa ghi được", "trường 'received_on'", "'31/02/2026' không hợp lệ"],
              shot="09-hoi-lai-ngay")
    api.state(run_id, "PAUSED", seen)  # 2. the date, spelled out
    ui.answer(run_id, {}, confirm=True, expect=[format_date_long(meant)],
              shot="10-xac-nhan-ngay")
    api.state(run_id, "PAUSED", seen)  # 3. the unknown unit
    assert counts(ui.stack.db_url) == start
    ui.answer(run_id, {"Mã đơn vị báo cáo": dl["unit"]}, confirm=False,
              expect=["Chưa ghi được", "trường 'unit'", "TN.KHONG_CO"], shot="11-hoi-lai-don-vi")
    api.state(run_id, "PAUSED", seen)  # 4. the corrected values, confirmed
    ui.answer(run_id, {}, confirm=True, expect=[format_date_long(meant)],
              shot="12-xac-nhan-lai")
    run = api.final(run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    logs = api.logs(run_id)
    assert "Traceback" not in logs and "TN.KHONG_CO" in logs
    with session_scope(engine_for(ui.stack.db_url)) as s:
        sub = s.execute(select(Submission).where(Submission.deadline_id == dl["id"])).scalar_one()
    assert sub.received_on == meant
    after = counts(ui.stack.db_url)
    assert after["submissions"] == start["submissions"] + 1
    failed = [r for r in api.runs(dep) if r["state_type"] == "FAILED"]
    assert not failed, [r["state"] for r in failed]


def test_paused_confirmation_is_resumed_in_the_ui(ui: Operator, api: Api) -> None:
    """`Kỳ báo cáo` pauses before a mass send (threshold 0 here) until an operator approves."""
    dep = api.deployment_id("Kỳ báo cáo")
    r = api.http.post(f"/deployments/{dep}/create_flow_run", json={
        "parameters": {"run_date": "2023-03-15", "threshold": 0}})
    r.raise_for_status()
    run_id = r.json()["id"]
    api.state(run_id, "PAUSED")
    outbox_before = _outbox(ui.stack.db_url)

    ui.open_run(run_id)
    ui.see("Paused")
    ui.shot("13-cho-xac-nhan")
    ui.button("Resume")
    dialog = "//div[@role='dialog']"
    ui.el(f"{dialog}//*[contains(normalize-space(.), 'thông báo kỳ báo cáo. Đồng ý gửi?')]")
    ui.click(f"{dialog}//label[@role='switch']")
    ui.wait.until(lambda _: ui.el(f"{dialog}//label[@role='switch']")
                  .get_attribute("aria-checked") == "true")
    note = ui.el(f"{dialog}{ui.prop_xpath('Ghi chú')}//textarea")
    note.send_keys("Đồng ý, gửi theo kế hoạch")
    ui.shot("14-xac-nhan-form")
    ui.submit_dialog()

    run = api.final(run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert _outbox(ui.stack.db_url) > outbox_before
    arts = api.artifacts(run_id)
    text = json.dumps([a["data"] for a in arts], ensure_ascii=False)
    assert "đã ghi vào hộp thư đi" in text, text
    ui.open_run(run_id)
    ui.see("Completed")
    ui.tab("Artifacts")
    ui.see("danvan-ky-bao-cao")
    art = next(a for a in arts if a["key"] == "danvan-ky-bao-cao")
    ui.d.get(f"{ui.stack.ui}/artifacts/artifact/{art['id']}")
    ui.see("đã ghi vào hộp thư đi")
    ui.shot("15-xac-nhan-xong")


def _outbox(db_url: str) -> int:
    from sqlalchemy import text

    with session_scope(engine_for(db_url)) as s:
        return int(s.execute(text("SELECT count(*) FROM outbox_messages")).scalar_one())
