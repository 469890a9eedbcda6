-- Schema version 1 of the cloudinitd run record. docs/record.md describes
-- every table and column. Never edit a released migration: add a new file.

CREATE TABLE run (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    name         TEXT NOT NULL,
    topconf      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'new',
    tool_version TEXT NOT NULL DEFAULT ''
);

CREATE TABLE globals (
    name   TEXT NOT NULL,
    value  TEXT,
    rank   INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, rank)
);

CREATE TABLE level (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    number    INTEGER NOT NULL UNIQUE,
    key       TEXT NOT NULL DEFAULT '',
    conf_file TEXT NOT NULL DEFAULT '',
    position  INTEGER NOT NULL
);

CREATE TABLE service (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    level_id    INTEGER NOT NULL REFERENCES level (id),
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'new',
    instance_id TEXT,
    hostname    TEXT,
    last_error  TEXT,
    driver      TEXT,
    handle      BLOB,
    host_key    TEXT,
    attempt     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX service_level ON service (level_id, position);

CREATE TABLE service_setting (
    service_id INTEGER NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT,
    source     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, key)
) WITHOUT ROWID;

CREATE TABLE attrbag (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id INTEGER NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    origin     TEXT NOT NULL CHECK (origin IN ('deps', 'bootout')),
    UNIQUE (service_id, seq)
);

CREATE TABLE instance_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id    INTEGER NOT NULL REFERENCES service (id),
    attempt       INTEGER NOT NULL,
    client_token  TEXT NOT NULL,
    driver        TEXT NOT NULL DEFAULT '',
    instance_id   TEXT,
    handle        BLOB,
    requested_at  TEXT NOT NULL,
    launched_at   TEXT,
    state         TEXT NOT NULL,
    terminated_at TEXT,
    detail        TEXT
);
CREATE INDEX instance_history_instance ON instance_history (instance_id);

CREATE TABLE event (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    time    TEXT NOT NULL,
    level   TEXT NOT NULL DEFAULT 'INFO',
    service TEXT,
    event   TEXT NOT NULL,
    state   TEXT,
    detail  TEXT
);
