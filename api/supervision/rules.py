"""The alert rules: each reads the usage records, the index or the usage log, and answers the alerts due now.

Every rule is a function of what it reads, its thresholds (`api.supervision.config`) and the time, so the
supervisor runs them on a schedule and the tests run them on a scenario. An alert's key names its incident;
storing it again only counts it (`api.supervision.alerts`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from api.supervision import config as rules
from api.supervision.alerts import Alert
from api.supervision.records import VERIFICATION_VERDICTS as VERDICTS
from api.supervision.records import day_of, usage
from ledger.audit import AuditLog
from ledger.index.tables import agencies, batches, certificate_events

DAY = 86_400


def _short(ref: str | None) -> str:
    return (ref or "-")[:12]


def revoked_presented(engine: Engine, rule: rules.RevokedPresented, since: float, now: float) -> list[Alert]:
    """A revoked or suspended certificate presented: one alert per certificate, accepting province and day."""
    query = select(usage.c.at, usage.c.accepting_province, usage.c.issuing_province, usage.c.certificate_ref,
                   usage.c.failed, usage.c.service_item).where(
        usage.c.at >= since, usage.c.at < now,
        (usage.c.failed.contains("revoked") | usage.c.failed.contains("suspended")))  # fmt: skip
    found = []
    with engine.connect() as db:
        for row in db.execute(query):
            status = next((c for c in ("revoked", "suspended") if c in row.failed.split()), None)
            if status is None:
                continue
            where = row.accepting_province or "-"
            found.append(Alert(
                "revoked_presented", f"{row.certificate_ref}:{where}:{day_of(row.at)}",
                f"{'已吊销' if status == 'revoked' else '已暂停'}证照在 {where} 被出示 / a {status} certificate "
                f"({_short(row.certificate_ref)}) presented in {where}",
                tuple(p for p in (row.accepting_province, row.issuing_province) if p),
                {"status": status, "certificateRef": row.certificate_ref, "acceptingProvince": row.accepting_province,
                 "issuingProvince": row.issuing_province, "serviceItem": row.service_item, "at": row.at},
                rule.severity))  # fmt: skip
    return found


def many_provinces(engine: Engine, rule: rules.ManyProvinces, now: float) -> list[Alert]:
    """One certificate verified in `provinces` or more provinces within the window: one alert per certificate
    and day. The reference of `api.supervision.spread.ProvinceSpread`, which the supervisor runs: this groups every
    record of the window each time."""
    start = now - rule.window_minutes * 60
    window = and_(usage.c.at >= start, usage.c.at <= now, usage.c.certificate_ref.is_not(None),
                  usage.c.accepting_province.is_not(None), usage.c.verdict.in_(VERDICTS))  # fmt: skip
    spread = func.count(usage.c.accepting_province.distinct())
    with engine.connect() as db:
        query = select(usage.c.certificate_ref).where(window).group_by(usage.c.certificate_ref)
        refs = [r[0] for r in db.execute(query.having(spread >= rule.provinces))]
        found = []
        for ref in refs:
            provinces = sorted({r[0] for r in db.execute(select(usage.c.accepting_province)
                                                         .where(window, usage.c.certificate_ref == ref))})  # fmt: skip
            found.append(many_provinces_alert(ref, provinces, rule, now))
    return found


def many_provinces_alert(ref: str, provinces: list[str], rule: rules.ManyProvinces, now: float) -> Alert:
    """The alert of a certificate verified in `provinces` (sorted) within `rule`'s window, on the day of `now`."""
    return Alert(
        "many_provinces", f"{ref}:{day_of(now)}",
        f"同一证照 {rule.window_minutes:g} 分钟内在 {len(provinces)} 个省份核验 / one certificate "
        f"({_short(ref)}) verified in {len(provinces)} provinces within {rule.window_minutes:g} minutes",
        tuple(provinces), {"certificateRef": ref, "provinces": provinces}, rule.severity)  # fmt: skip


def caller_failures(engine: Engine, rule: rules.CallerFailures, now: float) -> list[Alert]:
    """A caller (the agency, else the province, of its API key) whose share of INVALID verdicts in the window is
    above the rate, over enough requests: one alert per caller and hour. The reference of
    `api.supervision.callers.CallerShares`, which the supervisor runs: this groups every record of the window each
    time."""
    caller = func.coalesce(usage.c.caller_agency, usage.c.caller_province).label("caller")
    failed = func.sum(case((usage.c.verdict == "INVALID", 1), else_=0)).label("failed")
    query = (select(caller, func.max(usage.c.caller_province).label("province"), func.count().label("n"), failed)
             .where(usage.c.at >= now - rule.window_minutes * 60, usage.c.at <= now, usage.c.caller_role.is_not(None),
                    usage.c.verdict.in_(VERDICTS))
             .group_by(caller))  # fmt: skip
    with engine.connect() as db:
        return [caller_failures_alert(row.caller, row.province, int(row.n), int(row.failed or 0), rule, now)
                for row in db.execute(query) if failing(int(row.n), int(row.failed or 0), rule)]  # fmt: skip


def failing(n: int, bad: int, rule: rules.CallerFailures) -> bool:
    """Whether `bad` failures of `n` verifications are past the rule's rate, over enough requests."""
    return n >= rule.min_requests and bad / n > rule.rate


def caller_failures_alert(
    caller: str | None, province: str | None, n: int, bad: int, rule: rules.CallerFailures, now: float
) -> Alert:
    """The alert of a caller (of `province`) that failed `bad` of `n` verifications within the window, in the hour
    of `now`."""
    return Alert(
        "caller_failures", f"{caller}:{int(now // 3600)}",
        f"调用方 {caller} 核验失败率 {bad / n:.0%}（{bad}/{n}）/ caller {caller} failed {bad} of {n} verifications",
        (province,) if province else (), {"caller": caller, "requests": n, "failed": bad, "rate": round(bad / n, 4)},
        rule.severity)  # fmt: skip


def _provinces_of(index: Engine, accounts: list[str]) -> dict[str, str]:
    if not accounts:
        return {}
    with index.connect() as db:
        rows = db.execute(select(agencies.c.account, agencies.c.province).where(agencies.c.account.in_(accounts)))
        return {r.account: str(r.province) for r in rows}


def issuance_spike(index: Engine, rule: rules.IssuanceSpike, now: float) -> list[Alert]:
    """An agency's certificates of the last 24 hours above `factor` times its daily average of the 7 days before
    (and at least `min_certificates`): one alert per agency and day."""
    recent = func.sum(case((batches.c.anchored_at >= now - DAY, batches.c.count), else_=0)).label("recent")
    before = func.sum(case((batches.c.anchored_at < now - DAY, batches.c.count), else_=0)).label("before")
    span = and_(batches.c.anchored_at >= now - 8 * DAY, batches.c.anchored_at <= now)
    query = select(batches.c.agency, recent, before).where(span).group_by(batches.c.agency)
    with index.connect() as db:
        rows = [r for r in db.execute(query) if int(r.recent or 0) >= rule.min_certificates]
    provinces = _provinces_of(index, [r.agency for r in rows])
    found = []
    for row in rows:
        recent_n, average = int(row.recent), int(row.before or 0) / 7
        if recent_n > rule.factor * average:
            province = provinces.get(row.agency)
            found.append(Alert(
                "issuance_spike", f"{row.agency}:{day_of(now)}",
                f"机构 {row.agency} 24 小时签发 {recent_n} 件，为前 7 日日均 {average:.0f} 件的 "
                f"{recent_n / average if average else float('inf'):.1f} 倍 / agency issued {recent_n} certificates "
                f"in 24 hours against a daily average of {average:.0f}", (province,) if province else (),
                {"agency": row.agency, "last24h": recent_n, "dailyAverage7d": round(average, 2)},
                rule.severity))  # fmt: skip
    return found


def status_burst(index: Engine, rule: rules.StatusBurst, now: float) -> list[Alert]:
    """At least `changes` status changes by one agency in the window: one alert per agency and window."""
    window = rule.window_minutes * 60
    query = (select(certificate_events.c.agency, func.count().label("n"))
             .where(certificate_events.c.timestamp >= now - window, certificate_events.c.timestamp <= now)
             .group_by(certificate_events.c.agency).having(func.count() >= rule.changes))  # fmt: skip
    with index.connect() as db:
        rows = list(db.execute(query))
    provinces = _provinces_of(index, [r.agency for r in rows])
    return [Alert(
        "status_burst", f"{r.agency}:{int(now // window)}",
        f"机构 {r.agency} {rule.window_minutes:g} 分钟内变更 {r.n} 件证照状态 / {r.n} status changes by agency "
        f"{r.agency} within {rule.window_minutes:g} minutes",
        (provinces[r.agency],) if r.agency in provinces else (), {"agency": r.agency, "changes": int(r.n)},
        rule.severity) for r in rows]  # fmt: skip


def anchoring_latency(log: AuditLog, rule: rules.AnchoringLatency, now: float) -> list[Alert]:
    """A period of usage records anchored more than `seconds` after its end, or not anchored that long after."""
    late: list[tuple[str, int, float, bool]] = []
    for row in log.anchored(since=now - DAY):
        latency = float(row["anchored_at"]) - (int(row["period"]) + 1) * int(row["interval"])
        if latency > rule.seconds:
            late.append((row["province"], int(row["period"]), latency, True))
    for province, period in log.due(now):
        waited = now - (period + 1) * log.interval
        if waited > rule.seconds:
            late.append((province, period, waited, False))
    return [Alert(
        "anchoring_latency", f"{province}:{period}:{log.interval}",
        f"{province} 第 {period} 期用证记录{'上链' if anchored else '尚未上链'}，延迟 {latency:.0f} 秒 / usage "
        f"records of {province}, period {period}, {'anchored' if anchored else 'not anchored'} "
        f"{latency:.0f} s after the period ended", (province,),
        {"province": province, "period": period, "interval": log.interval, "latencySeconds": round(latency, 1),
         "anchored": anchored}, rule.severity) for province, period, latency, anchored in late]  # fmt: skip


class ChainWatch:
    """Remembers when the head block last changed."""

    def __init__(self) -> None:
        self.head: int | None = None
        self.since = 0.0

    def observe(self, head: int, rule: rules.ChainStalled, now: float) -> list[Alert]:
        if head != self.head:
            self.head, self.since = head, now
            return []
        stalled = now - self.since
        if rule.seconds <= 0 or stalled < rule.seconds:
            return []
        return [Alert("chain_stalled", f"{head}",
                      f"区块链已 {stalled:.0f} 秒未出新块（停在 {head}）/ the chain has not advanced for "
                      f"{stalled:.0f} s (head {head})", (), {"head": head, "seconds": round(stalled, 1)},
                      rule.severity)]  # fmt: skip


def assist_overdue(rows: list[Any], rule: rules.AssistOverdue) -> list[Alert]:
    """Assist requests open past their deadline (超时): one alert per request."""
    return [Alert(
        "assist_overdue", row.id,
        f"协查请求 {row.id} 超时未答复（{row.requesting_province} → {row.target_province}）/ assist request "
        f"{row.id} overdue", (row.target_province, row.requesting_province),
        {"request": row.id, "deadline": row.deadline, "targetProvince": row.target_province,
         "requestingProvince": row.requesting_province}, rule.severity) for row in rows]  # fmt: skip
