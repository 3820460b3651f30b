-- The collector's fetch state per provider (validators, content hashes, schedule, health) for
-- a collector that keeps it in the store (the standalone mode); the cluster mode keeps it on
-- the compacted collector-state topic.
CREATE TABLE fetch_state (
    provider_id TEXT PRIMARY KEY NOT NULL,
    state       JSONB NOT NULL,             -- the collector's ProviderState
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
