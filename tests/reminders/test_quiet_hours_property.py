"""Quiet hours as a property over random time zones and instants, DST transitions included:
an SMS may go out exactly when it is 08:00-21:00 where the client is, and when it may not,
the wait ends at the next 08:00 there — never earlier, never more than a night away."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from core.planner import QUIET_END, QUIET_START, quiet_hours

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/",
                                                                                   "SystemV/")))
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=400, deadline=None)
@given(now=instants, zone=st.sampled_from(ZONES))
def test_sms_only_between_eight_and_nine_local(now, zone):
    local = now.astimezone(ZoneInfo(zone))
    resume = quiet_hours(now, zone)
    allowed = QUIET_END <= local.time() < QUIET_START
    assert (resume is None) == allowed
    if resume is not None:
        resumed = resume.astimezone(ZoneInfo(zone))
        assert resume > now
        assert resumed.time() == time(8, 0) or resumed.utcoffset() != local.utcoffset()
        assert resume - now <= timedelta(hours=12)  # one night, DST shifts included
        assert quiet_hours(resume, zone) is None  # the moment it names is allowed


@given(zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney"]))
def test_the_edges(zone):
    tz = ZoneInfo(zone)
    day = datetime(2026, 6, 10, tzinfo=tz)
    assert quiet_hours(day.replace(hour=8), zone) is None
    assert quiet_hours(day.replace(hour=20, minute=59), zone) is None
    assert quiet_hours(day.replace(hour=21), zone) == day.replace(day=11, hour=8)
    assert quiet_hours(day.replace(hour=7, minute=59), zone) == day.replace(hour=8)
