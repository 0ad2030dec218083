"""iCalendar (.ics) files for meetings, with icalendar.

The UID is stable for a meeting (its id and creation time), so a calendar
that imports the file again after a rebooking updates the event instead of
adding a second one; SEQUENCE grows with each move.
"""
from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

PRODID = '-//Planpool//Meetings//EN'


def meeting_uid(meeting_id: int, created_at: dt.datetime) -> str:
    return f'meeting-{meeting_id}-{created_at:%Y%m%dT%H%M%S}@planpool'


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def meeting_calendar(*, uid: str, start: dt.datetime, end: dt.datetime, summary: str,
                     location: str, description: str, sequence: int = 0,
                     cancelled: bool = False, stamp: dt.datetime | None = None) -> bytes:
    """One VEVENT in a VCALENDAR. Instants: aware, or naive UTC."""
    calendar = Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('calscale', 'GREGORIAN')
    calendar.add('method', 'CANCEL' if cancelled else 'PUBLISH')
    event = Event()
    event.add('uid', uid)
    event.add('dtstamp', _utc(stamp or start))
    event.add('dtstart', _utc(start))
    event.add('dtend', _utc(end))
    event.add('summary', summary)
    if location:
        event.add('location', location)
    if description:
        event.add('description', description)
    event.add('sequence', sequence)
    event.add('status', 'CANCELLED' if cancelled else 'CONFIRMED')
    calendar.add_component(event)
    return calendar.to_ical()
