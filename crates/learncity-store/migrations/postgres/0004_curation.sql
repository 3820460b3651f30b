-- Operators' curation decisions (`learncity curate`, learncity_model::curation): one row per
-- decision id, the decision as JSON. A revoked decision keeps its row, `revoked` set in the
-- body. `catalog rebuild` keeps them: they are applied again on top of the rebuilt matching.
CREATE TABLE curation (
    id         TEXT PRIMARY KEY,
    body       JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
