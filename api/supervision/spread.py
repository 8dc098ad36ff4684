"""The `many_provinces` rule read incrementally: each round reads only the usage records written since the last.

    spread = ProvinceSpread()
    alerts = spread.observe(engine, rule, now)      # every round; the same alerts as rules.many_provinces

`rules.many_provinces` groups every record of the window by certificate: at 400,000 records in ten minutes that
took ~0.6 s of CPU a round, and the window holds as many records as the service answers in ten minutes, so a busy
service spent ever more on it. `ProvinceSpread` keeps, per certificate reference, the last time it was verified in
each province. A round reads the records past the last row it read (by rowid: records written late by another
worker's writer, with an earlier time, still come in order of writing), forgets what left the window, and answers
every certificate seen in `provinces` provinces or more within the window, as the reference does. A record dated
after the round's `now` waits for the round it falls in. Memory grows with the certificates verified within the
window, not with the records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, literal_column, select

from api.supervision import config as rules
from api.supervision.alerts import Alert
from api.supervision.records import VERIFICATION_VERDICTS as VERDICTS
from api.supervision.records import usage
from api.supervision.rules import many_provinces_alert

_COUNTED = and_(usage.c.certificate_ref.is_not(None), usage.c.accepting_province.is_not(None),
                usage.c.verdict.in_(VERDICTS))  # fmt: skip
#: SQLite's rowid: records are numbered in the order they were written.
ROWID: ColumnElement[int] = literal_column("usage_records.rowid")
_REF, _PROVINCE = usage.c.certificate_ref, usage.c.accepting_province


def latest_rowid(db: Connection) -> int:
    """The rowid of the last record written (0 in an empty table). Read before the records: one written meanwhile
    has a higher rowid and waits for the next round."""
    return int(db.execute(select(func.coalesce(func.max(ROWID), 0)).select_from(usage)).scalar_one())


class ProvinceSpread:
    """Per certificate reference, the last time it was verified in each province within the window."""

    def __init__(self) -> None:
        self._reset(0.0)

    def _reset(self, window: float) -> None:
        self._window, self._now = window, float("-inf")
        self._read: int | None = None  # the last rowid read; None before the first round
        # One province: (province, time); more: {province: time}. `_spread` names the references with more.
        self._seen: dict[str, tuple[str, float] | dict[str, float]] = {}
        self._spread: set[str] = set()
        self._early: list[Any] = []  # records dated after the round that read them
        self._swept = 0  # how many references there were after the last sweep

    def observe(self, engine: Engine, rule: rules.ManyProvinces, now: float) -> list[Alert]:
        """The alerts `rules.many_provinces(engine, rule, now)` answers."""
        window = rule.window_minutes * 60
        if window != self._window or now < self._now:  # the first round, the rule changed, or the clock went back
            self._reset(window)
        self._now = now
        start = now - window
        rows = self._rows(engine, start, now)  # first: it may start again (an emptied table), dropping `_early`
        self._take([*self._early, *rows], start, now)
        self._forget(start)
        found = []
        for ref in self._spread:
            provinces = sorted(p for p, at in self._provinces(ref).items() if start <= at)
            if len(provinces) >= rule.provinces:
                found.append(many_provinces_alert(ref, provinces, rule, now))
        return sorted(found, key=lambda alert: alert.key)

    def _rows(self, engine: Engine, start: float, now: float) -> list[Any]:
        """The counted records written since the last round (the whole window's at the first): one row per certificate
        and province with its last time up to `now`, and every record dated after `now`."""
        with engine.connect() as db:
            last = latest_rowid(db)
            if self._read is not None and last < self._read:  # the latest records were deleted: rowids start again
                self._reset(self._window)
            span = and_(usage.c.at >= start if self._read is None else self._read < ROWID, last >= ROWID, _COUNTED)
            rows: list[Any] = [*db.execute(select(_REF, _PROVINCE, func.max(usage.c.at)).where(span, usage.c.at <= now)
                                           .group_by(_REF, _PROVINCE))]  # fmt: skip
            rows += db.execute(select(_REF, _PROVINCE, usage.c.at).where(span, usage.c.at > now)).all()
        self._read = last
        return rows

    def _take(self, rows: list[Any], start: float, now: float) -> None:
        early: list[Any] = []
        seen, spread = self._seen, self._spread
        for row in rows:
            ref, province, at = row
            if at > now:
                early.append(row)
                continue
            if at < start:
                continue
            known = seen.get(ref)
            if known is None:
                seen[ref] = (province, at)
            elif type(known) is tuple:
                if known[0] == province:
                    if at > known[1]:
                        seen[ref] = (province, at)
                else:
                    seen[ref] = {known[0]: known[1], province: at}
                    spread.add(ref)
            elif at > known.get(province, start - 1):  # type: ignore[union-attr]
                known[province] = at  # type: ignore[index]
        self._early = early

    def _provinces(self, ref: str) -> dict[str, float]:
        known = self._seen[ref]
        return known if type(known) is dict else {known[0]: known[1]}  # type: ignore[index,dict-item]

    def _forget(self, start: float) -> None:
        """Drop what left the window: the spread references every round, all of them when their number has doubled
        since the last sweep (so a sweep costs each reference a constant share)."""
        seen = self._seen
        for ref in list(self._spread):
            kept = {p: at for p, at in self._provinces(ref).items() if at >= start}
            if len(kept) > 1:
                seen[ref] = kept
                continue
            self._spread.discard(ref)
            if kept:
                seen[ref] = next(iter(kept.items()))
            else:
                del seen[ref]
        if len(seen) > 2 * self._swept + 1024:
            for ref in [r for r, known in seen.items() if type(known) is tuple and known[1] < start]:
                del seen[ref]
            self._swept = len(seen)
