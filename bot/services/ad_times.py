"""When an ad may go out: the quiet hours of 정보통신망법 제50조 and typed send times."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def quiet(moment: datetime, tz: ZoneInfo) -> bool:
    """Whether ads may not be sent now without night-time consent (21:00-08:00 local)."""
    clock = moment.astimezone(tz).time()
    return clock >= QUIET_FROM or clock < QUIET_UNTIL


def next_morning(moment: datetime, tz: ZoneInfo) -> datetime:
    """The next 08:00 local time after `moment`."""
    local = moment.astimezone(tz)
    morning = local.replace(hour=QUIET_UNTIL.hour, minute=0, second=0, microsecond=0)
    return morning if local < morning else morning + timedelta(days=1)


_WHEN = re.compile(
    r"^\s*(?:(?P<tomorrow>내일|tomorrow)\s*)?"
    r"(?:(?:(?P<y>\d{4})[-./])?(?P<m>\d{1,2})[-./](?P<d>\d{1,2})\s+)?"
    r"(?P<h>\d{1,2}):(?P<min>\d{2})\s*$",
    re.IGNORECASE,
)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """A typed send time: "2026-12-01 10:00", "12/01 10:00", "내일 10:00" or "10:00" (the
    next such time). None when it cannot be read or is not a real date."""
    found = _WHEN.match(text)
    if found is None:
        return None
    local = now.astimezone(tz)
    try:
        moment = local.replace(
            year=int(found["y"] or local.year),
            month=int(found["m"] or local.month),
            day=int(found["d"] or local.day),
            hour=int(found["h"]),
            minute=int(found["min"]),
            second=0,
            microsecond=0,
        )
    except ValueError:
        return None
    if found["tomorrow"]:
        return moment + timedelta(days=1) if not found["m"] else None
    if moment <= local and not found["y"]:
        moment = (
            moment + timedelta(days=1) if not found["m"] else moment.replace(year=local.year + 1)
        )
    return moment
