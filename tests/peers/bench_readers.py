"""Times the Python peers of learncity's readers on the very documents the Rust benchmark wrote
(crates/learncity-citygen/examples/bench_readers.rs, its manifest.json):

- RSS and Atom: feedparser.parse(bytes);
- iCalendar: icalendar.Calendar.from_ical(bytes) plus recurring_ical_events expanding every
  event from `fetched_at - lookback_days` to `fetched_at + horizon_days` (the window our reader
  keeps), and icalendar's parse alone;
- JSON Feed and HTML pages: no peer (feedparser 6.0.x reads no JSON Feed).

Documents are read into memory before timing. One warm-up run estimates the time, then enough
samples to fill about --target-s seconds (3 to 30; runs shorter than 5 ms batched); the median
on-CPU time of this thread (time.thread_time, as the Rust side) and wall time per run are
reported. Prints one JSON line per workload and peer (same fields as the Rust rows).

Usage: bench_readers.py DIR [--target-s SECONDS]
"""
import datetime
import json
import math
import os
import sys
import time
import warnings
from importlib.metadata import version

import feedparser
import icalendar
import recurring_ical_events


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def timed(run, target_s):
    """Median on-CPU (this thread's) and wall seconds per run, samples, runs per sample, last result."""
    started = time.perf_counter()
    last = run()
    first = max(time.perf_counter() - started, 1e-9)
    batch = max(1, math.ceil(0.005 / first))
    reps = max(3, min(30, math.ceil(target_s / (first * batch))))
    cpu, wall = [], []
    for _ in range(reps):
        cpu_start, started = time.thread_time_ns(), time.perf_counter()
        for _ in range(batch):
            last = run()
        wall.append((time.perf_counter() - started) / batch)
        cpu.append((time.thread_time_ns() - cpu_start) / 1e9 / batch)
    return {"cpu_s": median(cpu), "wall_s": median(wall), "clock": "thread-cpu", "reps": reps, "batch": batch}, last


def feeds(docs):
    items = failed = bozo = 0
    for data in docs:
        d = feedparser.parse(data)
        items += len(d.entries)
        bozo += bool(d.bozo)
        failed += not d.version
    return {"items": items, "sessions": 0, "failed_docs": failed, "bozo_docs": bozo}


def calendars(docs, start, end, expand):
    items = sessions = failed = 0
    for data in docs:
        try:
            cal = icalendar.Calendar.from_ical(data)
            uids = {str(e.get("UID", f"#{i}")) for i, e in enumerate(cal.walk("VEVENT"))}
            items += len(uids)
            if expand:
                sessions += len(recurring_ical_events.of(cal).between(start, end))
        except Exception:  # a broken calendar costs its document, as in the peer's users
            failed += 1
    return {"items": items, "sessions": sessions, "failed_docs": failed}


def main(argv):
    # icalendar warns about vendor TZIDs in the corpora; the warnings are not what is measured.
    warnings.simplefilter("ignore")
    root = argv[1]
    target_s = float(argv[argv.index("--target-s") + 1]) if "--target-s" in argv else 3.0
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    fetched_at = datetime.datetime.fromisoformat(manifest["fetched_at"])
    start = fetched_at - datetime.timedelta(days=manifest["lookback_days"])
    end = datetime.datetime.fromisoformat(manifest["horizon_end"])
    fp = f"feedparser {version('feedparser')}"
    ical = f"icalendar {version('icalendar')}"
    rie = f"{ical} + recurring-ical-events {version('recurring-ical-events')}"
    for w in manifest["workloads"]:
        docs = []
        for rel in w["files"]:
            with open(os.path.join(root, rel), "rb") as f:
                docs.append(f.read())
        assert sum(map(len, docs)) == w["bytes"], f"{w['name']}: the files differ from the manifest"
        if w["format"] in ("rss", "atom"):
            peers = [(fp, lambda: feeds(docs))]
        elif w["format"] == "ical":
            peers = [
                (rie, lambda: calendars(docs, start, end, True)),
                (f"{ical} (parse only)", lambda: calendars(docs, start, end, False)),
            ]
        else:
            peers = []
        for i, (name, run) in enumerate(peers):
            timing, counts = timed(run, target_s)
            row = {
                "workload": w["name"],
                "format": w["format"],
                "kind": w["kind"],
                "role": "peer" if i == 0 else "peer-part",
                "contender": name,
                "docs": len(docs),
                "bytes": w["bytes"],
            }
            row.update(timing)
            row.update(counts)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
