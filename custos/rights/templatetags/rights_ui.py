"""Clock and status tags for the data-subject rights pages."""

from __future__ import annotations

import datetime as dt

from django import template

from custos.rights.clock import Clock

register = template.Library()

_CLOCK_TAGS = {
    "overdue": "govuk-tag--red",
    "due_today": "govuk-tag--orange",
    "due_soon": "govuk-tag--yellow",
    "paused": "govuk-tag--grey",
    "running": "govuk-tag--green",
    "closed": "govuk-tag--blue",
}

_STATUS_TAGS = {
    "open": "govuk-tag--blue",
    "awaiting_clarification": "govuk-tag--grey",
    "extended": "govuk-tag--purple",
    "responded": "govuk-tag--green",
    "refused": "govuk-tag--red",
    "closed": "govuk-tag--grey",
}


@register.filter
def clock_tag(value: Clock) -> str:
    """The GOV.UK tag colour of a clock's state (overdue red, paused grey …)."""
    return _CLOCK_TAGS.get(value.state, "govuk-tag--grey")


@register.filter
def request_status_tag(value: str) -> str:
    return _STATUS_TAGS.get(value, "govuk-tag--grey")


@register.filter
def as_text(value: object) -> str:
    """A rectified value for reading: a list one item per line, nothing as "Not recorded"."""
    if value is None or value == "" or value == []:
        return "Not recorded"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


@register.filter
def when(value: object) -> str:
    """An ISO date or UTC time from a package, for reading: "17 May 2001", "30 November 2026, 15:02 UTC"."""
    text = str(value or "")
    if not text or text == "None":
        return ""
    try:
        if "T" in text:
            moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return f"{moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"
        day = dt.date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {day:%B %Y}"
