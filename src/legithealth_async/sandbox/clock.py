"""The sandbox's clock: real time by default, or frozen at a chosen instant; both can advance."""

from __future__ import annotations

import datetime as dt
import time


class SandboxClock:
    """The time the sandbox believes it is (always an aware UTC datetime).

    With no ``start`` the clock follows real time; with a ``start`` it is frozen there (unless
    ``frozen=False``). Either way :meth:`advance` moves it forward, which is how tests make days
    pass. Moving it is done through :meth:`Sandbox.advance`, which also creates the encounters
    that fall due.
    """

    def __init__(self, start: dt.datetime | None = None, *, frozen: bool | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._frozen = start is not None if frozen is None else frozen
        self._start = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self._started_monotonic = time.monotonic()
        self._offset = dt.timedelta()

    @property
    def frozen(self) -> bool:
        """Whether the clock only moves when advanced."""
        return self._frozen

    def now(self) -> dt.datetime:
        """The current sandbox time."""
        now = self._start + self._offset
        if not self._frozen:
            now += dt.timedelta(seconds=time.monotonic() - self._started_monotonic)
        return now

    def _advance(self, delta: dt.timedelta) -> None:
        if delta < dt.timedelta():
            raise ValueError("the sandbox clock only moves forward")
        self._offset += delta


def to_wire(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a ``Z``, as the sandbox writes every date-time."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus whole calendar months, clamping the day to the target month's last."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))
