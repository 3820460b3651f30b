-- Records the builder could not apply (a bad value, another schema version...), kept with why
-- so that none is lost in the standalone mode, where no dead-letter topic is read, and so that
-- `learncity dead-letters list|show|replay` work alike in both modes.
CREATE TABLE dead_letters (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    topic               TEXT NOT NULL,           -- where the record was read
    partition           INTEGER NOT NULL,
    "offset"            INTEGER NOT NULL,
    key                 BLOB NULL,
    value               BLOB NULL,
    headers             TEXT NOT NULL,           -- JSON array of [name, hex(value)], as the outbox's
    kind                TEXT NOT NULL,           -- the dead-letter-kind header
    reason              TEXT NOT NULL,
    recorded_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    replay_requested_at TEXT NULL,               -- set by `learncity dead-letters replay`
    UNIQUE (topic, partition, "offset")
);
