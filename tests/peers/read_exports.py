"""Reads learncity's exports with the parsers residents' tools use: icalendar for the iCal
export, feedparser for the Atom export. Prints what they read as JSON; exits non-zero when a
document is rejected (feedparser's `bozo`, an icalendar parse error).

Usage: read_exports.py EXPORT.ics EXPORT.atom
"""
import json
import sys

import feedparser
import icalendar


def main(ics_path, atom_path):
    with open(ics_path, "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    events = []
    for event in calendar.walk("VEVENT"):
        events.append({
            "uid": str(event.get("UID")),
            "summary": str(event.get("SUMMARY")),
            "status": str(event.get("STATUS")),
            "start": event.decoded("DTSTART").isoformat(),
            "location": str(event.get("LOCATION", "")),
        })
    feed = feedparser.parse(atom_path)
    if feed.bozo:
        print(f"feedparser rejected the Atom export: {feed.bozo_exception}", file=sys.stderr)
        return 1
    result = {
        "calendar_name": str(calendar.get("X-WR-CALNAME")),
        "events": events,
        "feed_version": feed.version,
        "feed_title": feed.feed.get("title"),
        "entries": [{"id": e.get("id"), "title": e.get("title"), "link": e.get("link")} for e in feed.entries],
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
