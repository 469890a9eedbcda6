package plan

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \t\n ", nil},
		{"a b\tc\nd", []string{"a", "b", "c", "d"}},
		{"  lead  trail  ", []string{"lead", "trail"}},
		{`${.bootarg} "message quote"`, []string{"${.bootarg}", "message quote"}},
		{`'single $x \n "q"'`, []string{`single $x \n "q"`}},
		{`"d \" \\ \$ \` + "`" + ` \n \a"`, []string{`d " \ $ ` + "`" + ` \n \a`}},
		{`a\ b \'c\" \\`, []string{"a b", `'c"`, `\`}},
		{`x"y z"'w'v`, []string{"xy zwv"}},
		{`'' "" a`, []string{"", "", "a"}},
		{`"it's"`, []string{"it's"}},
		{`'a'"'"'b'`, []string{"a'b"}},
		{"# not a comment", []string{"#", "not", "a", "comment"}},
		{"a\\\nb", []string{"a\nb"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitWords(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitWordsErrors(t *testing.T) {
	tests := []struct {
		in string
		is error
	}{
		{`a "b`, ErrUnterminatedQuote},
		{`a 'b`, ErrUnterminatedQuote},
		{`"a\"`, ErrUnterminatedQuote},
		{`a \`, ErrTrailingBackslash},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := SplitWords(tt.in)
			if !errors.Is(err, tt.is) {
				t.Errorf("SplitWords(%q) error = %v, want %v", tt.in, err, tt.is)
			}
		})
	}
}

func TestExpandArgs(t *testing.T) {
	r := newFake()
	r.fields["svc"] = map[string]string{"bootarg": "/bin/echo", "sp": "a b", "later": unsetValue, "q": `'x'`}
	tests := []struct {
		in   string
		want []string
	}{
		{`${.bootarg} "message quote"`, []string{"/bin/echo", "message quote"}},
		{`${.sp} x`, []string{"a b", "x"}},
		{`"${.sp}-${web.port}" '${.q}'`, []string{"a b-8080", "'x'"}},
		{`${.later} ${web.empty}`, []string{"${.later}", ""}},
		{``, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ExpandArgs(tt.in, "svc", r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ExpandArgs(`ok ${.nope}`, "svc", r); !errors.Is(err, ErrUnknownAttr) || err.Error() != `argument 2: ${.nope}: service "svc" has no attribute "nope"` {
		t.Errorf("ExpandArgs(unknown) error = %v", err)
	}
	if _, err := ExpandArgs(`"open`, "svc", r); !errors.Is(err, ErrUnterminatedQuote) {
		t.Errorf("ExpandArgs(unterminated) error = %v", err)
	}
}

func TestQuoteWord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"plain/path-1.2_x:y,z=@%+", "plain/path-1.2_x:y,z=@%+"},
		{"a b", "'a b'"},
		{"it's", `'it'"'"'s'`},
		{"$HOME `x` \\ \"", "'$HOME `x` \\ \"'"},
		{"new\nline", "'new\nline'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := QuoteWord(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			back, err := SplitWords(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.in}, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}
