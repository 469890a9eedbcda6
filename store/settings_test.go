package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oddSettings are settings whose text needs care in JSON: quotes,
// backslashes, control characters, non-ASCII text, bytes that are not
// UTF-8, empty strings, a secret never stored.
var oddSettings = []Setting{
	{Key: "quote", Value: `say "hi" \ bye \"`, Source: `/plans/a "b".conf [svc-x]`},
	{Key: "ctl", Value: "a\tb\nc\rd\x00e\x01f\x1fg\x7fh", Source: "[defaults]"},
	{Key: "unicode", Value: "héllo — 世界 🚀 \u2028", Source: "/plans/ü.conf [svc-x]"},
	{Key: "bytes", Value: "\xff\xfe not utf-8 \xc3", Source: "src"},
	{Key: "empty", Value: "", Source: ""},
	{Key: "iaas_secret", Redacted: true, Source: "/plans/top.conf [defaults]"},
	{Key: "json", Value: `["not",{"an":"array"}]`, Source: `\u0041`},
}

func sortedCopy(ss []Setting) []Setting {
	out := append([]Setting(nil), ss...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Key < out[i].Key {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSettingsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []Setting
	}{
		{"none", nil},
		{"one", []Setting{{Key: "image", Value: "ami-1", Source: "l2.conf [svc-web]"}}},
		{"odd text", oddSettings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, _, err := appendSettings(nil, nil, tc.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			var r settingsReader
			got, err := r.read(nil, string(js))
			if err != nil {
				t.Fatalf("read %s: %v", js, err)
			}
			if diff := cmp.Diff(sortedCopy(tc.in), got); diff != "" {
				t.Errorf("read(append(settings)) (-want +got):\n%s\nJSON: %s", diff, js)
			}
		})
	}
}

func TestSettingsRefused(t *testing.T) {
	_, _, err := appendSettings(nil, nil, []Setting{{Key: "a", Value: "1"}, {Key: "b"}, {Key: "a", Value: "2"}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"a" given twice`) {
		t.Errorf("two settings of one key: %v, want refused", err)
	}
	var r settingsReader
	for _, bad := range []string{
		``, `[`, `{}`, `[[]]`, `[["a","b"]]`, `[["a","b","c"],]`, `[["a","b","c"]] x`,
		`[[null,"b","c"]]`, `[["a","b",null]]`, `[["a",1,"c"]]`, "[[\"a\",\"b\n\",\"c\"]]", `[["a","b","c]]`,
	} {
		if _, err := r.read(nil, bad); !errors.Is(err, errSettings) {
			t.Errorf("read(%q): %v, want errSettings", bad, err)
		}
	}
}

// TestSettingsSQLiteJSON: what SQLite's JSON functions make of the same
// settings (the migration from version 4 writes them with
// json_group_array) reads back the same, and the view service_setting
// shows what was written.
func TestSettingsSQLiteJSON(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	if err := db.PutPlan(ctx, []Level{{Number: 1, Key: "level1"}},
		[]Service{{Name: "odd", Level: 1, Settings: oddSettings}}); err != nil {
		t.Fatal(err)
	}
	want := sortedCopy(oddSettings)
	got, err := db.Service(ctx, "odd")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Settings); diff != "" {
		t.Errorf("settings read back (-want +got):\n%s", diff)
	}

	// The view: a row per setting, NULL for the secret.
	rows, err := db.sql.QueryContext(ctx, `SELECT key, value, source FROM service_setting ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	var view []Setting
	for rows.Next() {
		var st Setting
		var v sql.NullString
		if err := rows.Scan(&st.Key, &v, &st.Source); err != nil {
			t.Fatal(err)
		}
		st.Value, st.Redacted = v.String, !v.Valid
		view = append(view, st)
	}
	rows.Close()
	if diff := cmp.Diff(want, view); diff != "" {
		t.Errorf("view service_setting (-want +got):\n%s", diff)
	}

	// SQLite's own JSON of the same rows.
	var js string
	err = db.sql.QueryRowContext(ctx, `SELECT json_group_array(json_array(key, value, source) ORDER BY key)
		FROM service_setting`).Scan(&js)
	if err != nil {
		t.Fatal(err)
	}
	var r settingsReader
	fromSQLite, err := r.read(nil, js)
	if err != nil {
		t.Fatalf("read SQLite's %s: %v", js, err)
	}
	if diff := cmp.Diff(want, fromSQLite); diff != "" {
		t.Errorf("settings from SQLite's JSON (-want +got):\n%s\nJSON: %s", diff, js)
	}
}
