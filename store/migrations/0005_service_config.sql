-- The resolved settings of a service, one row per service holding them
-- all as a JSON array of [key, value, source] sorted by key (value null for
-- a secret never stored), instead of one service_setting row per key:
-- recording a plan wrote a row of four values for every key of every
-- service (110,000 at 10,000 services), and every command read them back.
-- service_setting stays, as a view of the same columns, for sqlite3 users.
CREATE TABLE service_config (
    service_id INTEGER PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
    settings   TEXT NOT NULL
);

INSERT INTO service_config (service_id, settings)
    SELECT service_id, json_group_array(json_array(key, value, source) ORDER BY key)
    FROM service_setting GROUP BY service_id;

DROP TABLE service_setting;

CREATE VIEW service_setting (service_id, key, value, source) AS
    SELECT c.service_id, j.value ->> 0, j.value ->> 1, j.value ->> 2
    FROM service_config c, json_each(c.settings) AS j;
