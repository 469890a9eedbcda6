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
