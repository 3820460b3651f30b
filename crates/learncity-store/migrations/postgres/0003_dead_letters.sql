-- Records the builder could not apply (a bad value, another schema version...), kept with why
-- so that `learncity dead-letters list|show|replay` work alike in both modes.
CREATE TABLE dead_letters (
    id                  BIGSERIAL PRIMARY KEY,
    topic               TEXT NOT NULL,           -- where the record was read
    partition           INTEGER NOT NULL,
    "offset"            BIGINT NOT NULL,
    key                 BYTEA NULL,
    value               BYTEA NULL,
    headers             JSONB NOT NULL,          -- JSON array of [name, hex(value)], as the outbox's
    kind                TEXT NOT NULL,           -- the dead-letter-kind header
    reason              TEXT NOT NULL,
    recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    replay_requested_at TIMESTAMPTZ NULL,        -- set by `learncity dead-letters replay`
    UNIQUE (topic, partition, "offset")
);
