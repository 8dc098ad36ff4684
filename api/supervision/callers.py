"""The `caller_failures` rule read incrementally: each round reads the usage records written since the last and the
records that left the window, not the whole window.

    shares = CallerShares()
    alerts = shares.observe(engine, rule, now)      # every round; the same alerts as rules.caller_failures

`rules.caller_failures` groups every record of its window (60 minutes by default) by caller at every round: as many
records as the service answers callers with API keys in an hour. `CallerShares` keeps, per caller, how many
verifications it asked for in the window, how many were INVALID and the provinces its records name. A round adds
the records written since the last (by rowid, as `api.supervision.spread` reads them) that fall in the window, and
takes away the records read before that have now left it (a range of the `at` index). A record dated after the
round's `now` waits for the round it falls in. When the window changes, the clock goes back, a round comes more
than a window after the last, or the table's latest records were deleted, the window is read again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from api.supervision import config as rules
from api.supervision.alerts import Alert
from api.supervision.records import VERIFICATION_VERDICTS as VERDICTS
from api.supervision.records import usage
from api.supervision.rules import caller_failures_alert, failing
from api.supervision.spread import ROWID, latest_rowid

_COUNTED = and_(usage.c.caller_role.is_not(None), usage.c.verdict.in_(VERDICTS))
_CALLER = func.coalesce(usage.c.caller_agency, usage.c.caller_province)
_INVALID = case((usage.c.verdict == "INVALID", 1), else_=0)
#: Records grouped by caller, its province and whether INVALID: how many of each.
_GROUPED = select(_CALLER, usage.c.caller_province, _INVALID, func.count()).group_by(
    _CALLER, usage.c.caller_province, _INVALID
)


class _Share:
    __slots__ = ("bad", "n", "provinces")

    def __init__(self) -> None:
        self.n = self.bad = 0
        self.provinces: Counter[str] = Counter()


class CallerShares:
    """Per caller, its verifications, failures and provinces within the window."""

    def __init__(self) -> None:
        self._reset(0.0)

    def _reset(self, window: float) -> None:
        self._window, self._now, self._start = window, float("-inf"), float("-inf")
        self._read: int | None = None  # the last rowid read; None before the first round
        self._shares: dict[str | None, _Share] = {}
        self._early: list[Any] = []  # records dated after the round that read them: (caller, province, bad, at)

    def observe(self, engine: Engine, rule: rules.CallerFailures, now: float) -> list[Alert]:
        """The alerts `rules.caller_failures(engine, rule, now)` answers."""
        window = rule.window_minutes * 60
        if window != self._window or now < self._now or now - self._now >= window:
            self._reset(window)  # the first round, the rule changed, the clock went back, or a window went by
        start = now - window
        with engine.connect() as db:
            last = latest_rowid(db)
            if self._read is not None and last < self._read:  # the latest records were deleted: rowids start again
                self._reset(window)
            if self._read is None:
                entering = and_(usage.c.at >= start, last >= ROWID, _COUNTED)
            else:
                entering = and_(self._read < ROWID, last >= ROWID, _COUNTED)
                leaving = and_(usage.c.at >= self._start, usage.c.at < start, self._read >= ROWID, _COUNTED)
                for caller, province, bad, count in db.execute(_GROUPED.where(leaving)):
                    self._add(caller, province, bad, -count)
            rows = db.execute(_GROUPED.where(entering, usage.c.at >= start, usage.c.at <= now)).all()
            ahead = select(_CALLER, usage.c.caller_province, _INVALID, usage.c.at).where(entering, usage.c.at > now)
            early = [*self._early, *db.execute(ahead)]
        for caller, province, bad, count in rows:
            self._add(caller, province, bad, count)
        self._early = [row for row in early if row[3] > now]
        for caller, province, bad, _ in (row for row in early if row[3] <= now):
            self._add(caller, province, bad, 1)
        self._read, self._now, self._start = last, now, start
        return self._alerts(rule, now)

    def _add(self, caller: str | None, province: str | None, bad: int, count: int) -> None:
        share = self._shares.get(caller)
        if share is None:
            share = self._shares[caller] = _Share()
        share.n += count
        share.bad += count * bad
        if province is not None:
            share.provinces[province] += count
            if share.provinces[province] <= 0:
                del share.provinces[province]
        if share.n <= 0:
            del self._shares[caller]

    def _alerts(self, rule: rules.CallerFailures, now: float) -> list[Alert]:
        """In the reference's order: by caller, the one without a name first (SQLite groups NULL first)."""
        found = sorted(((c, share) for c, share in self._shares.items() if failing(share.n, share.bad, rule)),
                       key=lambda item: (item[0] is not None, item[0] or ""))  # fmt: skip
        return [caller_failures_alert(c, max(share.provinces, default=None), share.n, share.bad, rule, now)
                for c, share in found]  # fmt: skip
