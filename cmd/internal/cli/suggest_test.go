package cli

import "testing"

func TestSuggest(t *testing.T) {
	names := []string{"boot", "status", "terminate", "history", "list", "plan"}
	for _, tc := range []struct{ word, want string }{
		{"bot", "boot"},
		{"stauts", "status"},
		{"terminat", "terminate"},
		{"lsit", "list"},
		{"frobnicate", ""},
		{"x", ""},
	} {
		if got := Suggest(tc.word, names); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
