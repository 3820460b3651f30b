-- The collector's fetch state per provider (validators, content hashes, schedule, health) in
-- the standalone mode (`learncity run`), where the store's one file holds everything. In the
-- cluster mode it lives on the compacted collector-state topic instead.
CREATE TABLE fetch_state (
    provider_id TEXT PRIMARY KEY NOT NULL,
    state       TEXT NOT NULL,              -- the collector's ProviderState as JSON
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
