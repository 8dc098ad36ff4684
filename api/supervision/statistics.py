"""Statistics of the usage records, as a province admin sees them.

Its detail covers the records where its province issued or accepted the certificate: the recognition matrix
(issuing × accepting province), daily counts, the verdict mix, the top failure reasons (the failed checks' codes),
use per service item, latency percentiles, and feedback ratings per accepting province and service item. Of the
consortium as a whole it sees counts only: the total and the verdict mix.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select

from api.supervision.records import VERIFICATION_VERDICTS, feedback, usage

TOP_FAILURES = 20
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class Filters:
    start: float | None = None
    end: float | None = None
    province: str | None = None
    certificate_type: str | None = None
    service_item: str | None = None

    def common(self, verifications: bool = True) -> list[ColumnElement[bool]]:
        """The conditions that apply to consortium totals too (time, type, service item; verifications only, not
        the steps of assist requests, unless `verifications` is False)."""
        found: list[ColumnElement[bool]] = [usage.c.verdict.in_(VERIFICATION_VERDICTS)] if verifications else []
        if self.start is not None:
            found.append(usage.c.at >= self.start)
        if self.end is not None:
            found.append(usage.c.at <= self.end)
        if self.certificate_type is not None:
            found.append(usage.c.certificate_type == self.certificate_type)
        if self.service_item is not None:
            found.append(usage.c.service_item == self.service_item)
        return found


def _involving(province: str) -> ColumnElement[bool]:
    return or_(usage.c.issuing_province == province, usage.c.accepting_province == province)


def statistics(engine: Engine, viewer: str, filters: Filters) -> dict[str, Any]:
    """The statistics a province admin of `viewer` sees, under `filters`."""
    common = filters.common()
    detail = and_(_involving(viewer), *common)
    rated_where = and_(_involving(viewer), *filters.common(verifications=False))  # verifications and assist requests
    if filters.province is not None:
        detail = and_(detail, _involving(filters.province))
        rated_where = and_(rated_where, _involving(filters.province))
    count = func.count().label("n")
    with engine.connect() as db:
        matrix = db.execute(
            select(usage.c.issuing_province, usage.c.accepting_province, count,
                   func.sum(case((usage.c.verdict == "VALID", 1), else_=0)).label("valid"))
            .where(detail).group_by(usage.c.issuing_province, usage.c.accepting_province)
            .order_by(count.desc())
        ).all()  # fmt: skip
        daily_rows = db.execute(
            select(usage.c.day, usage.c.verdict, count).where(detail).group_by(usage.c.day, usage.c.verdict)
        ).all()
        failed_rows = db.execute(
            select(usage.c.failed, count).where(detail, usage.c.failed != "").group_by(usage.c.failed)
        ).all()
        items = db.execute(
            select(usage.c.service_item, count).where(detail).group_by(usage.c.service_item).order_by(count.desc())
        ).all()
        total = sum(int(r.n) for r in matrix)
        latency = _percentiles(db, detail, total)
        rated = usage.join(feedback, feedback.c.usage_id == usage.c.id)
        rating_rows = db.execute(
            select(usage.c.accepting_province, usage.c.service_item, feedback.c.rating, count)
            .select_from(rated).where(rated_where)
            .group_by(usage.c.accepting_province, usage.c.service_item, feedback.c.rating)
        ).all()  # fmt: skip
        consortium = db.execute(select(usage.c.verdict, count).where(*common).group_by(usage.c.verdict)).all()
    days: dict[str, Counter[str]] = {}
    for row in daily_rows:
        days.setdefault(row.day, Counter())[row.verdict] += int(row.n)
    failures: Counter[str] = Counter()
    for row in failed_rows:
        for code in row.failed.split():
            failures[code] += int(row.n)
    ratings = _ratings(rating_rows)
    return {
        "province": viewer,
        "total": total,
        "verdicts": dict(sum(days.values(), Counter())),
        "matrix": [_cell(r) for r in matrix],
        "daily": [{"date": day, "count": sum(c.values()), "verdicts": dict(c)} for day, c in sorted(days.items())],
        "failureReasons": [{"code": code, "count": n} for code, n in failures.most_common(TOP_FAILURES)],
        "serviceItems": [
            {"serviceItem": r.service_item, "count": int(r.n), "ratings": ratings["byServiceItem"].get(r.service_item)}
            for r in items
        ],
        "latencyMs": latency,
        "ratings": {
            "count": ratings["count"],
            "average": ratings["average"],
            "distribution": ratings["distribution"],
            "byProvince": [{"province": k} | v for k, v in ratings["byProvince"].items()],
            "byServiceItem": [{"serviceItem": k} | v for k, v in ratings["byServiceItem"].items()],
        },
        "consortium": {
            "total": sum(int(r.n) for r in consortium),
            "verdicts": {r.verdict: int(r.n) for r in consortium},
        },
    }


def _cell(row: Any) -> dict[str, Any]:
    return {"issuingProvince": row.issuing_province, "acceptingProvince": row.accepting_province,
            "count": int(row.n), "valid": int(row.valid)}  # fmt: skip


def _percentiles(db: Any, where: ColumnElement[bool], total: int) -> dict[str, float | None]:
    """Nearest-rank percentiles of the verifications' durations (ms), and the longest."""
    out: dict[str, float | None] = dict.fromkeys([*(f"p{p}" for p in PERCENTILES), "max"])
    if total == 0:
        return out
    ordered = select(usage.c.duration_ms).where(where).order_by(usage.c.duration_ms)
    for p in PERCENTILES:
        rank = max(1, -(-p * total // 100))
        out[f"p{p}"] = round(float(db.execute(ordered.limit(1).offset(rank - 1)).scalar_one()), 3)
    out["max"] = round(float(db.execute(select(func.max(usage.c.duration_ms)).where(where)).scalar_one()), 3)
    return out


def _summary(counts: Counter[int]) -> dict[str, Any]:
    n = sum(counts.values())
    return {"count": n, "average": round(sum(k * v for k, v in counts.items()) / n, 2) if n else None}


def _ratings(rows: Any) -> dict[str, Any]:
    overall: Counter[int] = Counter()
    by_province: dict[str, Counter[int]] = {}
    by_item: dict[str | None, Counter[int]] = {}
    for row in rows:
        n = int(row.n)
        overall[int(row.rating)] += n
        by_province.setdefault(row.accepting_province, Counter())[int(row.rating)] += n
        by_item.setdefault(row.service_item, Counter())[int(row.rating)] += n
    return _summary(overall) | {
        "distribution": {str(k): overall.get(k, 0) for k in range(1, 6)},
        "byProvince": {k: _summary(v) for k, v in sorted(by_province.items(), key=lambda kv: str(kv[0]))},
        "byServiceItem": {k: _summary(v) for k, v in sorted(by_item.items(), key=lambda kv: str(kv[0]))},
    }


def to_csv(stats: dict[str, Any]) -> bytes:
    """The recognition matrix and the daily counts as CSV (UTF-8 with a BOM, so spreadsheets read it as such)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "issuingProvince", "acceptingProvince", "date", "count", "valid"])
    for cell in stats["matrix"]:
        writer.writerow(["matrix", cell["issuingProvince"] or "", cell["acceptingProvince"] or "", "",
                         cell["count"], cell["valid"]])  # fmt: skip
    for day in stats["daily"]:
        writer.writerow(["daily", "", "", day["date"], day["count"], day["verdicts"].get("VALID", 0)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
