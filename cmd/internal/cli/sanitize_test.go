package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, tab\there, ünïcödé", "plain text, tab\there, ünïcödé"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]0;owned\x07title", `\x1b]0;owned\x07title`},
		{"cr\rback\bdel\x7f", `cr\x0dback\x08del\x7f`},
		{"c1 \u009b2J csi", `c1 \u009b2J csi`},
		{"bad \x9b byte", `bad \x9b byte`},
	} {
		if got := Sanitize(tc.in); got != tc.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEscapesNotPrinted: program output and errors reach the terminal with
// their control characters escaped: the line view (when told it writes to
// a terminal), the live view and error messages.
func TestEscapesNotPrinted(t *testing.T) {
	out := bootlevel.Event{Time: time.Now(), Level: 1, Service: "web", Kind: bootlevel.KindOutput, Detail: "\x1b[2J\x1b]0;pwned\x07hello"}
	var lines bytes.Buffer
	(&LineObserver{W: &lines, Verbosity: 3, Sanitize: true}).Event(out)
	var raw bytes.Buffer
	(&LineObserver{W: &raw, Verbosity: 3}).Event(out)
	var live bytes.Buffer
	l := NewLiveObserver(&live, false)
	l.Event(bootlevel.Event{Time: out.Time, Level: 1, Kind: bootlevel.KindLevelStart})
	l.Event(bootlevel.Event{Time: out.Time, Level: 1, Service: "web", Kind: bootlevel.KindState, State: "booting"})
	l.Event(out)
	l.Stop()
	var errs bytes.Buffer
	PrintError(&errs, "cloudinitd", WithHint(errors.New("bootpgm: exit status 1\n  | \x1b[2Jgone"), "see \x1b[31mlog"))
	for name, b := range map[string]*bytes.Buffer{"lines": &lines, "errors": &errs} {
		if strings.ContainsRune(b.String(), 0x1b) || strings.ContainsRune(b.String(), 0x07) {
			t.Errorf("%s: raw control characters printed: %q", name, b.String())
		}
	}
	// The live view draws with its own escapes; the program's must not be
	// among them.
	if strings.Contains(live.String(), "\x1b[2J") || strings.Contains(live.String(), "\x1b]0;") || !strings.Contains(live.String(), `\x1b[2J\x1b]0;pwned\x07hello`) {
		t.Errorf("live view: %q", live.String())
	}
	if !strings.Contains(lines.String(), `\x1b[2J\x1b]0;pwned\x07hello`) || !strings.Contains(errs.String(), `\x1b[2Jgone`) {
		t.Errorf("escapes not shown as text: %q %q", lines.String(), errs.String())
	}
	if !strings.Contains(raw.String(), "\x1b[2J") {
		t.Errorf("without Sanitize (not a terminal) the line is kept as it was: %q", raw.String())
	}
}
