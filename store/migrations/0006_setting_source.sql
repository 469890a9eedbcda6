-- Source texts shared by settings. A service's settings row (service_config)
-- names where each value came from, and in a plan most values come from the
-- same few lines ([defaults], a cloud section, the built-ins): their source
-- texts (a file's absolute path, a section, a line) were most of the row's
-- bytes, written again for every service. A source text that several
-- settings share is now stored once here, and a settings row gives its id
-- (a JSON integer) where it gave the text (a JSON string); a text used once
-- stays in the row. Rows written before (every source a string) are valid
-- as they are.
CREATE TABLE setting_source (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);

DROP VIEW service_setting;

CREATE VIEW service_setting (service_id, key, value, source) AS
    SELECT c.service_id, j.value ->> 0, j.value ->> 1,
        CASE json_type(j.value, '$[2]')
            WHEN 'integer' THEN (SELECT s.text FROM setting_source s WHERE s.id = j.value ->> 2)
            ELSE j.value ->> 2
        END
    FROM service_config c, json_each(c.settings) AS j;
