-- The catalogue store, PostgreSQL flavour (see the crate docs of learncity-store).
-- JSON values are JSONB; every change of an entry takes nextval('entry_seq').

-- Every provider item the builder has seen.
CREATE TABLE sources (
    key        TEXT    NOT NULL PRIMARY KEY, -- {provider_id}/{source_id}
    partition  INTEGER NOT NULL,             -- offerings-topic partition
    seen_order BIGINT  NOT NULL,             -- offset of its first upsert
    state      TEXT    NOT NULL,             -- active, withdrawn, expired
    entry_id   TEXT    NULL,                 -- the entry it belongs to while active
    offering   JSONB   NOT NULL              -- latest offering
);
CREATE INDEX sources_partition ON sources (partition);

-- The store-wide change sequence of entries.
CREATE SEQUENCE entry_seq AS BIGINT;

-- Every entry ever published; body NULL once it disappeared.
CREATE TABLE entries (
    id             TEXT    NOT NULL PRIMARY KEY,
    partition      INTEGER NOT NULL,         -- -1 when removed before it was ever stored
    seq            BIGINT  NOT NULL,         -- change sequence of its latest change
    body           JSONB   NULL,             -- the entry
    removed_reason TEXT    NULL              -- withdrawn, expired, merged, or a reset reason
);
CREATE INDEX entries_seq ON entries (seq);
CREATE INDEX entries_partition ON entries (partition);

-- Next offset to apply per offerings-topic partition.
CREATE TABLE offsets (
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset BIGINT  NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- Records to publish after the commit that wrote them, in id order.
CREATE TABLE outbox (
    id      BIGSERIAL PRIMARY KEY,
    topic   TEXT  NOT NULL,
    key     BYTEA NULL,
    value   BYTEA NULL,
    headers JSONB NOT NULL                   -- JSON array of [name, hex(value)]
);
