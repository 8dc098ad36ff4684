"""The supervision dashboard (`/supervision`) in headless chromium over a seeded set of usage records."""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, insert

from api.supervision.alerts import Alert, AlertStore
from api.supervision.records import USAGE_FILE, UsageLog, UsageRecord, feedback, new_usage_id
from tests.api.conftest import Server
from tests.api.test_api import issue
from tests.api.test_console import CHROMIUM, check_glyphs, expect, open_page
from tests.api.test_supervision import usage_rows

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
PROVINCES = ["310000", "330000", "440000", "110000"]
COUNT = 3000


def seed(server: Server, count: int = COUNT) -> dict[str, Any]:
    """`count` usage records of the last 30 days through the records module, a tenth of them rated."""
    rng = random.Random(7)
    log = UsageLog(server.home / USAGE_FILE, b"seed", flush_interval=60)
    now = time.time()
    records = []
    for _ in range(count):
        verdict = rng.choices(["VALID", "NOT_RECOGNIZED", "INVALID"], [80, 15, 5])[0]
        failed = {"VALID": "", "NOT_RECOGNIZED": "no_rule", "INVALID": rng.choice(["expired", "digest_mismatch"])}
        records.append(UsageRecord(
            id=new_usage_id(), at=now - rng.uniform(0, 30 * 86_400), accepting_province=rng.choice(PROVINCES),
            caller_role=None, caller_agency=None, caller_province=None,
            service_item=rng.choice(["seed-company", "seed-food"]), verdict=verdict, failed=failed[verdict],
            issuing_province=rng.choice(PROVINCES), issuer=None, certificate_type="business_licence",
            certificate_ref=log.reference(f"0x{rng.getrandbits(256):064x}"), duration_ms=rng.uniform(0.2, 5),
        ))  # fmt: skip
    log.insert(records)
    rated = [{"usage_id": r.id, "at": now, "rating": rng.randint(1, 5), "comment": None} for r in records[::10]]
    with log.engine.begin() as db:
        db.execute(insert(feedback), rated)
    log.engine.dispose()
    involving = [r for r in records if "310000" in (r.issuing_province, r.accepting_province)]
    return {"involving": len(involving)}


def test_the_dashboard_shows_the_matrix_trend_verdicts_failures_and_ratings(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    seeded = seed(server)
    page_answer = httpx.get(server.url + "/supervision")
    assert page_answer.status_code == 200 and "default-src 'self'" in page_answer.headers["content-security-policy"]
    with open_page(browser, server, "/supervision") as page:
        page.get_by_label("省级管理员接口密钥").fill(server.keys["sh_amr"])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_test_id("error")).to_contain_text("需要省级管理员密钥", timeout=30_000)

        page.get_by_label("省级管理员接口密钥").fill(server.keys["sh_admin"])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_test_id("who")).to_contain_text("310000", timeout=30_000)
        page.get_by_label("事项").fill("seed-company")
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_test_id("items")).not_to_contain_text("seed-food", timeout=30_000)
        expect(page.get_by_test_id("items")).to_contain_text("seed-company")
        total = int(page.get_by_test_id("total").inner_text())
        assert 0 < total < seeded["involving"]
        assert int(page.get_by_test_id("consortium-total").inner_text()) >= total

        cells = page.locator("#matrix td")
        assert cells.count() >= 7  # Shanghai's row and column: every cell that involves it
        shades = {cells.nth(i).evaluate("td => td.style.backgroundColor") for i in range(cells.count())}
        assert len(shades - {""}) >= 3
        assert page.locator("#matrix th", has_text="上海市").count() >= 2
        assert page.locator("#trend svg polyline").count() == 1
        points = page.locator("#trend svg polyline").get_attribute("points")
        assert points is not None and len(points.split()) >= 25
        expect(page.get_by_test_id("verdicts")).to_contain_text("有效")
        expect(page.get_by_test_id("failures")).to_contain_text("no_rule")
        expect(page.get_by_test_id("ratings")).to_contain_text("浙江省")
        assert page.get_by_test_id("rating-average").inner_text() != "–"
        assert page.get_by_test_id("error").is_hidden()
        check_glyphs(page, tmp_path / "supervision.png", "电子监察互认矩阵好差评")


def test_the_verify_page_asks_for_a_rating_after_a_verification_and_refuses_personal_data(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    doc = issue(server)[0]
    with open_page(browser, server, "/verify") as page:
        expect(page.locator("#province option[value='330000']")).to_have_count(1)
        page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
        page.get_by_label("受理省份").select_option("330000")
        page.get_by_role("button", name="核验").click()
        expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID", timeout=30_000)
        widget = page.get_by_test_id("rating")
        expect(widget).to_be_visible()
        widget.get_by_label("4").check()
        page.get_by_test_id("rating-comment").fill("办事人电话 138-1234-5678")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_test_id("rating-outcome")).to_contain_text("手机号")
        page.get_by_test_id("rating-comment").fill("核验很快，跨省办理顺利")
        page.get_by_role("button", name="提交评价").click()
        expect(page.get_by_test_id("rating-outcome")).to_contain_text("感谢您的评价", timeout=30_000)
        check_glyphs(page, tmp_path / "verify-rating.png", "评价本次跨省核验感谢")
    rows = usage_rows(server, accepting_province="330000")
    with contextlib.closing(sqlite3.connect(server.home / USAGE_FILE)) as db:
        query = "SELECT rating, comment FROM usage_feedback WHERE comment = ?"
        rated = db.execute(query, ("核验很快，跨省办理顺利",)).fetchall()
    assert rows and rated == [(4, "核验很快，跨省办理顺利")]


def test_the_dashboard_lists_open_alerts_to_acknowledge_and_open_and_overdue_assist_requests(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    seed(server, 1000)
    store = AlertStore(create_engine(f"sqlite:///{server.home / USAGE_FILE}"))
    ours = [store.raise_(Alert("status_burst", f"dashboard-{i}-{time.time()}", f"状态变更激增 {i} / burst {i}",
                               ("310000",), {"changes": 100 + i})) for i in range(3)]  # fmt: skip
    theirs = store.raise_(Alert("status_burst", f"dashboard-gd-{time.time()}", "广东 / Guangdong", ("440000",)))
    store.engine.dispose()
    filed = []
    with server.client("zj_amr") as zj:
        for item in ("dash-open", "dash-late"):
            body = {"issuingProvince": "310000", "licenceNumber": "91310000DASH0001", "question": "核实 / confirm",
                    "serviceItem": item}  # fmt: skip
            answer = zj.post("/assist-requests", json=body)
            assert answer.status_code == 201, answer.text
            filed.append(answer.json()["id"])
    with contextlib.closing(sqlite3.connect(server.home / USAGE_FILE)) as db, db:
        db.execute("UPDATE assist_requests SET deadline = ? WHERE id = ?", (time.time() - 60, filed[1]))

    with open_page(browser, server, "/supervision") as page:
        page.get_by_label("省级管理员接口密钥").fill(server.keys["sh_admin"])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_test_id("who")).to_contain_text("310000", timeout=30_000)
        alerts = page.get_by_test_id("alerts")
        for alert_id in ours:
            expect(alerts.locator(f"tr[data-alert='{alert_id}']")).to_have_count(1)
        expect(alerts.locator(f"tr[data-alert='{theirs}']")).to_have_count(0)  # another province's
        alerts.locator(f"tr[data-alert='{ours[0]}']").get_by_role("button", name="确认").click()
        expect(alerts.locator(f"tr[data-alert='{ours[0]}']")).to_have_count(0, timeout=30_000)
        expect(alerts.locator(f"tr[data-alert='{ours[1]}']")).to_have_count(1)
        assert int(page.get_by_test_id("alert-count").inner_text()) >= 2  # the other two, and whatever came since
        assist = page.get_by_test_id("assist")
        expect(assist).to_contain_text("dash-open")
        expect(assist.locator("tr.overdue")).to_contain_text("超时")
        expect(assist.locator("tr.overdue")).to_contain_text("dash-late")
        assert page.get_by_test_id("error").is_hidden()
        check_glyphs(page, tmp_path / "supervision-work.png", "预警协查超时确认")
    with server.client("sh_admin") as http:
        acked = http.get("/supervision/alerts", params={"state": "acknowledged", "rule": "status_burst"}).json()
    assert ours[0] in {a["id"] for a in acked["data"]}
