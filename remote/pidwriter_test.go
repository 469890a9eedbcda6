package remote

import (
	"bytes"
	"testing"
)

func TestPidWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		pid    int
		out    string
	}{
		{"split marker", []string{"cloudinitd-remote-", "pid:4242\nerr", "or\n"}, 4242, "error\n"},
		{"one write", []string{pidMarker + "77\nx\n"}, 77, "x\n"},
		{"no marker", []string{"plain\n", "more\n"}, 0, "plain\nmore\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newPidWriter(&buf)
			for _, w := range tc.writes {
				if _, err := p.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if buf.String() != tc.out {
				t.Errorf("passed through %q, want %q", buf.String(), tc.out)
			}
			select {
			case <-p.ready:
				if p.pid != tc.pid {
					t.Errorf("pid = %d, want %d", p.pid, tc.pid)
				}
			default:
				if tc.pid != 0 {
					t.Errorf("pid not recorded, want %d", tc.pid)
				}
			}
		})
	}
}

func TestShellLineQuotesEveryWord(t *testing.T) {
	got := shellLine(Cmd{Argv: []string{"/p q", "it's"}, Dir: "/s d", Env: map[string]string{"B": "$x", "A": "1"}})
	want := `exec /bin/sh -c 'echo ` + pidMarker + `$$ >&2 && unset SSH_AUTH_SOCK && cd '\''/s d'\'' && export A='\''1'\'' && export B='\''$x'\'' && exec '\''/p q'\'' '\''it'\''\'\'''\''s'\'''`
	if got != want {
		t.Errorf("shellLine =\n%s\nwant\n%s", got, want)
	}
}
