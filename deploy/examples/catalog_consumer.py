#!/usr/bin/env python3
"""Reads learncity's catalog topic into a dict {entry id: entry}, the way a downstream service
bootstraps its copy of the catalogue (docs/catalog-topic.md).

Each record's key is an entry id, its value the whole entry as JSON (schemas/entry.v1.json); a
record without a value is a tombstone: the entry is gone (headers `event-type: tombstone`,
`reason`, and `merged-into` when it was merged into another entry). Keeping the latest value per
key and deleting on a tombstone ends with exactly the builder's catalogue.

When no record has arrived for --idle-seconds (after the partitions were assigned), it prints
{"entries": N, "tombstones": M} (live entries, tombstones read) and exits.

    pip install confluent-kafka
    python3 deploy/examples/catalog_consumer.py --bootstrap localhost:19092 --from-beginning
"""

import argparse
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException

ENTRY_SCHEMA_VERSION = 1


def headers_of(msg):
    """The record's headers as {name: text}; the last value of a repeated name wins."""
    out = {}
    for name, value in msg.headers() or []:
        out[name] = value.decode("utf-8", "replace") if value is not None else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default="localhost:19092", help="Kafka bootstrap servers")
    ap.add_argument("--topic", default="learncity.catalog", help="[kafka] catalog-topic")
    ap.add_argument("--group", default="learncity-catalog-example", help="consumer group id")
    ap.add_argument("--idle-seconds", type=float, default=5.0, help="stop after this long without a record")
    ap.add_argument(
        "--from-beginning",
        action="store_true",
        help="read every partition from its start, whatever the group committed (a full bootstrap)",
    )
    args = ap.parse_args()

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            # A group without committed offsets starts at the beginning too.
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    assigned = []

    def on_assign(c, partitions):
        if args.from_beginning:
            for p in partitions:
                p.offset = OFFSET_BEGINNING
        c.assign(partitions)
        assigned.extend(partitions)

    consumer.subscribe([args.topic], on_assign=on_assign)

    catalogue = {}
    tombstones = 0
    started = time.monotonic()
    last = None  # when the last record (or the assignment) came
    try:
        while True:
            msg = consumer.poll(0.5)
            now = time.monotonic()
            if msg is None:
                if assigned and last is None:
                    last = now
                if last is not None and now - last >= args.idle_seconds:
                    break
                if not assigned and now - started > max(60.0, args.idle_seconds):
                    print(f"error: no partition of {args.topic} assigned within 60 s", file=sys.stderr)
                    return 1
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(msg.error())
            last = now
            key = msg.key().decode("utf-8") if msg.key() is not None else None
            if key is None:
                print(f"warning: a record without a key at {msg.partition()}/{msg.offset()}", file=sys.stderr)
                continue
            headers = headers_of(msg)
            if msg.value() is None:
                # A tombstone: the entry is withdrawn, expired, merged (merged-into names the
                # entry that holds its sources now) or gone after a rebuild.
                tombstones += 1
                catalogue.pop(key, None)
                continue
            entry = json.loads(msg.value())
            version = entry.get("schema_version")
            if version != ENTRY_SCHEMA_VERSION:
                print(
                    f"warning: entry {key} has schema_version {version} (header {headers.get('schema-version')}); "
                    f"this reader knows {ENTRY_SCHEMA_VERSION}",
                    file=sys.stderr,
                )
                continue
            catalogue[key] = entry
        if last is not None:
            try:
                consumer.commit(asynchronous=False)
            except KafkaException:
                pass  # nothing consumed: nothing to commit
    finally:
        consumer.close()

    print(json.dumps({"entries": len(catalogue), "tombstones": tombstones}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
