-- The operator console's sessions (`learncity serve`, /admin), kept in the store so that every
-- `serve` instance of one catalogue knows them (a load balancer may send each request
-- elsewhere) and a restart signs nobody out. `id` is the SHA-256 of the cookie's value (a copy
-- of the table gives no live session); the operator's role is read from the config at each
-- request, so an operator removed from it is signed out at once.
CREATE TABLE console_sessions (
    id         TEXT PRIMARY KEY,
    operator   TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
-- One random secret shared by the instances (the CSRF tokens of operators signed in by an
-- authenticating proxy's header are derived from it).
CREATE TABLE console_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);
