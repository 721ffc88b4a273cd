"""Time in a question: the publication window it asks about, and whether it wants the newest account first or a
timeline. Relative words ("last year", "this year", "most recent") are read against the newest article's date.
Pure text rules over the question; the engine applies the result to retrieval and the answer.
"""

from __future__ import annotations

import calendar
import re

from .model import TimeFrame
from .text import MONTHS
from .lexicon.words import CHANGE_VERBS, COMPARE_VERBS, EVENT_DATES, RECENCY_WORDS, TIMELINE_PHRASES

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PART = r"(?:(?P<part>early|mid|middle of|late|end of|beginning of|start of)[\s-]+)?"
_DATE_RE = re.compile(_PART + r"(?:" + _MONTH + r"\s+(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+)?)?" + _YEAR, re.I)
_BEFORE = r"(?:before|prior to|until|up to|through|by)"
_AFTER = r"(?:since|after|from)"
_EVENT = "|".join(re.escape(e) for e in sorted(EVENT_DATES, key=len, reverse=True))
_EVENT_RE = re.compile(r"\b(?P<rel>" + _BEFORE + "|" + _AFTER + r")\s+(?:the\s+)?(?:russia['’]s\s+)?(?P<event>"
                       + _EVENT + r")", re.I)
_RELATIVE_RE = re.compile(r"\b(?P<which>this|last|past|previous)\s+(?:(?P<n>\d+|two|three|four|five)\s+)?"
                          r"(?P<unit>years?|months?)\b", re.I)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}
_RECENCY_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in RECENCY_WORDS) + r")\b", re.I)
_TIMELINE_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in TIMELINE_PHRASES) + r")", re.I)
# "How did X change", "How has X evolved": the question's own verb, not one in a clause ("…it is said to have developed").
_CHANGE_RE = re.compile(r"^\s*how\s+(?:(?:did|does|do)\s+(?:\S+\s+){1,12}?(?:" + "|".join(CHANGE_VERBS)
                        + r")|(?:has|have|had)\s+(?:\S+\s+){1,12}?(?:" + "|".join(CHANGE_VERBS.values())
                        + r"))\b", re.I)
_COMPARE_RE = re.compile(r"\b(?:" + "|".join(COMPARE_VERBS) + r")\b", re.I)


def _period(match: re.Match) -> tuple[str, str]:
    """First and last day of a matched date: a year, a month (or part of one) or a day."""
    year = int(match["year"])
    month = MONTHS.get((match["month"] or "").lower().rstrip("."))
    part = (match["part"] or "").lower()
    if month is None:
        if part in ("early", "beginning of", "start of"):
            return f"{year}-01-01", f"{year}-04-30"
        if part in ("late", "end of"):
            return f"{year}-09-01", f"{year}-12-31"
        return f"{year}-01-01", f"{year}-12-31"
    last = calendar.monthrange(year, month)[1]
    if match["day"]:
        day = f"{year}-{month:02d}-{int(match['day']):02d}"
        return day, day
    first_day, last_day = {"early": (1, 10), "beginning of": (1, 10), "start of": (1, 10), "mid": (11, 20),
                           "middle of": (11, 20), "late": (21, last), "end of": (21, last)}.get(part, (1, last))
    return f"{year}-{month:02d}-{first_day:02d}", f"{year}-{month:02d}-{last_day:02d}"


def _shift_day(day: str, days: int) -> str:
    import datetime

    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=days)).isoformat()


def _full_day(published: str, *, end: bool) -> str:
    """A possibly partial date as its first (or last) day."""
    parts = published.split("-")
    year, month = int(parts[0]), int(parts[1]) if len(parts) > 1 else (12 if end else 1)
    day = int(parts[2]) if len(parts) > 2 else (calendar.monthrange(year, month)[1] if end else 1)
    return f"{year}-{month:02d}-{day:02d}"


# A place (no digits: "KYIV, Ukraine"), a date, then a dash or "(Reuters)".
_DATELINE_RE = re.compile(r"^\s*[A-Z][A-Za-z .,'’()-]{0,60}?,\s+(?i:" + _DATE_RE.pattern + r")\s*(?:[—–]|--?|\()")


def dateline_date(text: str) -> str | None:
    """The date of the dateline an article's text opens with ("YEREVAN, Feb. 3, 2025 —"): YYYY-MM-DD, or YYYY-MM
    or YYYY when it names no day; None without a dated dateline or for a day that does not exist."""
    import datetime

    match = _DATELINE_RE.match(text)
    if not match or match["part"]:
        return None
    first, _ = _period(match)
    if not match["month"]:
        return first[:4]
    if not match["day"]:
        return first[:7]
    try:
        return datetime.date.fromisoformat(first).isoformat()
    except ValueError:  # "Feb. 30, 2025"
        return None


def _names_a_year(question: str, date: re.Match) -> bool:
    """Whether a bare year is part of a name ("Caspian Shield 2025", "Army-2025"): right after a capitalized word
    that does not open the question."""
    if date["month"]:
        return False
    before = re.search(r"(\S+)[\s-]$", question[:date.start()])
    return bool(before) and before.start() > 0 and before[1][:1].isupper()


def read_timeframe(question: str, newest: str | None) -> TimeFrame:
    """The time frame a question asks for; `newest` is the newest article's publication date (for "last year")."""
    order = ""
    dates = [d for d in _DATE_RE.finditer(question) if not _names_a_year(question, d)]
    compares = _COMPARE_RE.search(question) and len({_period(d) for d in dates}) > 1
    if _TIMELINE_RE.search(question) or _CHANGE_RE.search(question) or compares:
        order = "chronological"
    elif _RECENCY_RE.search(question):
        order = "recent"
    if order == "chronological":  # "between 2011 and 2024": the period the timeline spans, first to last year
        if not dates:
            return TimeFrame(order=order)
        periods = sorted(_period(d) for d in dates)
        return TimeFrame(periods[0][0], max(end for _, end in periods), order,
                         question[dates[0].start():dates[-1].end()])
    event = _EVENT_RE.search(question)
    if event and re.search(r"\b(?:before|after)\s+(?:or|and)\s+" + re.escape(event.group(0)), question, re.I):
        event = None  # "before or after the war began": both sides asked about, no window
    if event:
        day = EVENT_DATES[event["event"].lower()]
        if re.fullmatch(_BEFORE, event["rel"], re.I):
            return TimeFrame(None, _shift_day(day, -1), order, event.group(0), event=True)
        return TimeFrame(day, None, order, event.group(0), event=True)
    if len({_period(d) for d in dates}) > 1 and not re.search(r"\b(?:between|from)\s+" + re.escape(dates[0].group(0)),
                                                               question, re.I):
        return TimeFrame(order=order)  # "in 2011 … and in 2024": two periods, each to be covered, no one window
    if dates:
        first, last = _period(dates[0]), _period(dates[-1])
        before = question[:dates[0].start()].rstrip().lower()
        phrase = question[dates[0].start():dates[-1].end()]
        if re.search(r"\b(?:between|from)$", before) and len(dates) > 1:
            return TimeFrame(first[0], last[1], order, f"{before.split()[-1]} {phrase}")
        if re.search(r"\bsince$", before):
            return TimeFrame(first[0], None, order, f"{before.split()[-1]} {phrase}")
        if re.search(r"\bafter$", before):
            return TimeFrame(_shift_day(first[1], 1), None, order, f"after {phrase}")
        if re.search(r"\b(?:before|prior to)$", before):
            return TimeFrame(None, _shift_day(first[0], -1), order, f"{before.split()[-1]} {phrase}")
        if re.search(r"\b(?:until|through|by)$", before):
            return TimeFrame(None, first[1], order, f"{before.split()[-1]} {phrase}")
        return TimeFrame(first[0], first[1], order, phrase)
    relative = _RELATIVE_RE.search(question)
    if relative and newest:
        return _relative_window(relative, newest, order)
    return TimeFrame(order=order)


def _relative_window(relative: re.Match, newest: str, order: str) -> TimeFrame:
    """ "last year", "this month", "the past 3 months": a window counted back from the newest article's date."""
    year, month = int(newest[:4]), int(newest[5:7]) if len(newest) >= 7 else 12
    which, unit = relative["which"].lower(), relative["unit"].lower().rstrip("s")
    n = relative["n"]
    count = int(n) if n and n.isdigit() else _NUMBERS.get((n or "").lower(), 1)
    end = _full_day(newest, end=True)
    if unit == "year":
        if which == "this":
            return TimeFrame(f"{year}-01-01", f"{year}-12-31", order, relative.group(0))
        if n or which == "past":
            return TimeFrame(f"{year - count}-{end[5:]}", end, order, relative.group(0))
        return TimeFrame(f"{year - 1}-01-01", f"{year - 1}-12-31", order, relative.group(0))
    if which == "this":
        return TimeFrame(f"{year}-{month:02d}-01", end, order, relative.group(0))
    back_year, back_month = divmod(year * 12 + month - 1 - count, 12)
    start = f"{back_year}-{back_month + 1:02d}-01"
    if n or which == "past":
        return TimeFrame(start, end, order, relative.group(0))
    last_day = calendar.monthrange(back_year, back_month + 1)[1]
    return TimeFrame(start, f"{back_year}-{back_month + 1:02d}-{last_day:02d}", order, relative.group(0))
