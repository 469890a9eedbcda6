package bootlevel

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretsMask(t *testing.T) {
	var s Secrets
	s.Add("abc") // too short to mask
	s.Add("hunter22")
	s.Add("xhunter22y")
	for _, tc := range []struct{ in, want string }{
		{"pw=hunter22 and xhunter22y", "pw=**** and ****"},
		{"abc stays", "abc stays"},
		{"", ""},
	} {
		if got := s.Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !s.Contains("--pw=hunter22") || s.Contains("hunter2") {
		t.Error("Contains is wrong")
	}
	var none *Secrets
	if none.Mask("hunter22") != "hunter22" || none.Contains("x") {
		t.Error("a nil Secrets must mask nothing")
	}

	var buf bytes.Buffer
	log := slog.New(s.Handler(slog.NewTextHandler(&buf, nil)))
	log.With("pre", "hunter22").Info("saw hunter22", "err", errors.New("bad xhunter22y"), slog.Group("g", "v", "hunter22"))
	if strings.Contains(buf.String(), "hunter22") {
		t.Errorf("log holds the secret: %s", buf.String())
	}
}

// TestSecretDepsFromEnv: a secret deps row read from env.NAME is stored as
// that reference (the record's files never hold the value) and read from
// the environment of each command that uses it; a command without the
// variable fails naming it. A -g secret global is stored without its value.
func TestSecretDepsFromEnv(t *testing.T) {
	files := map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\nssh_check: false\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf":  "[svc-a]\ndeps: d.conf\n",
		"d.conf":   "[deps]\ndb_password: env.DBPW\nplain: env.PLAIN\n",
	}
	h := newHarness(t, files, map[string]string{"DBPW": "env-secret-31337", "PLAIN": "plain-value"})
	ctx := testCtx(t)
	bag, err := h.db.Bags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range bag["a"] {
		got[a.Key] = a.Value
	}
	if got["db_password"] != "env.DBPW" || got["plain"] != "plain-value" {
		t.Errorf("stored deps rows %v, want db_password as env.DBPW and plain resolved", got)
	}
	r := h.run().resolver()
	if v, err := r.Expand("${a.db_password}", "a"); err != nil || v != "env-secret-31337" {
		t.Errorf("expand with the variable: %q, %v", v, err)
	}
	if got := h.eng.secrets().Mask("x env-secret-31337 y"); got != "x **** y" {
		t.Errorf("the resolved secret is not masked: %q", got)
	}
	delete(h.env, "DBPW")
	r = h.run().resolver()
	_, err = r.Expand("${a.db_password}", "a")
	if err == nil || !strings.Contains(err.Error(), "env.DBPW, which is not set") {
		t.Errorf("expand without the variable: %v, want an error naming env.DBPW", err)
	}
}
