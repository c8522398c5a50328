-- The audit trail (package events): one row per event holding its JSON in
-- Okta's LogEvent shape, with the columns events are listed by; the ids of
-- an event's targets in a side table, so that a user's events are found
-- whether the user acted or was acted on.

-- +goose Up
CREATE TABLE events (
    id         TEXT COLLATE "C" PRIMARY KEY, -- the event's uuid
    published  BIGINT NOT NULL, -- unix ms
    event_type TEXT COLLATE "C" NOT NULL,
    actor_id   TEXT COLLATE "C" NOT NULL,
    body       TEXT COLLATE "C" NOT NULL,    -- the LogEvent JSON
    seq        BIGINT NOT NULL  -- append order: orders events of the same millisecond
);

CREATE INDEX events_by_time ON events (published, seq);
CREATE INDEX events_by_seq ON events (seq);
CREATE INDEX events_by_type ON events (event_type, published);
CREATE INDEX events_by_actor ON events (actor_id, published);

CREATE TABLE event_targets (
    event_id  TEXT COLLATE "C" NOT NULL,
    target_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (event_id, target_id)
);

CREATE INDEX event_targets_by_target ON event_targets (target_id, event_id);

-- +goose Down
DROP TABLE event_targets;
DROP TABLE events;
