package plan

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseINI: ParseINI never panics, and what it accepts has lower-case,
// unique, non-empty key names in every section.
func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[runlevels]\nlevel1: l1.conf\nLevel1 = x ; c\n"))
	f.Add([]byte("[DEFAULT]\nh: /h\n[svc-a]\nconf: %(h)s/c\n  more\n"))
	f.Add([]byte("rem x\n[s]\n-: `x`\n[a = b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseINI(context.Background(), "fuzz.conf", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.conf: line ") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		secs := append([]*INISection(nil), file.Sections...)
		if file.Defaults != nil {
			secs = append(secs, file.Defaults)
		}
		for _, s := range secs {
			seen := map[string]bool{}
			for _, k := range s.Keys {
				if k.Name == "" || k.Name != asciiLower(k.Name) || seen[k.Name] {
					t.Fatalf("section %q: bad or duplicate key %q", s.Name, k.Name)
				}
				seen[k.Name] = true
				if k.Unset() && k.Value != "" {
					t.Fatalf("unset key %q has value %q", k.Name, k.Value)
				}
			}
		}
	})
}

// unsetResolver knows every service and attribute but has no value yet.
type unsetResolver struct{}

func (unsetResolver) Field(string, string) (string, bool, error) { return "", false, nil }
func (unsetResolver) Rows(string) ([]Row, error)                 { return nil, nil }
func (unsetResolver) Global(string) (string, bool)               { return "", false }

// echoResolver answers every field with its own name, ']' turned into '}'
// so values can hold further tokens, and has a bag of one row per service
// that uses a field.
type echoResolver struct{}

func (echoResolver) Field(_, attr string) (string, bool, error) {
	return strings.ReplaceAll(attr, "]", "}"), true, nil
}
func (echoResolver) Rows(svc string) ([]Row, error) {
	return []Row{{Key: "r", Value: "${." + svc + "]"}, {Key: "s", Value: "${.r}${.s}"}}, nil
}
func (echoResolver) Global(name string) (string, bool) { return name, true }

// FuzzExpand: Expand never panics and terminates; with no values and no
// global tokens it returns its input; QuoteWord round-trips through
// SplitWords; ExpandArgs never panics.
func FuzzExpand(f *testing.F) {
	f.Add("${web.hostname}:${.port} ${global.x}")
	f.Add("${a} ${b.c} ${ ${.x]y} $")
	f.Add(`${.bootarg} "message quote" 'it'"'"'s' \ x`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Expand(s, "self", unsetResolver{})
		hasGlobal := false
		for _, r := range Refs(s) {
			hasGlobal = hasGlobal || r.Global
		}
		if !hasGlobal && (err != nil || got != s) {
			t.Fatalf("Expand(%q) with no values = %q, %v; want input unchanged", s, got, err)
		}
		_, _ = Expand(s, "self", echoResolver{})
		_, _ = ExpandArgs(s, "self", echoResolver{})

		back, err := SplitWords(QuoteWord(s))
		if err != nil || len(back) != 1 || back[0] != s {
			t.Fatalf("SplitWords(QuoteWord(%q)) = %q, %v", s, back, err)
		}
	})
}

// FuzzFillTemplate: FillTemplate and BootEnv never panic; text with every
// '$' doubled fills back to the text; BootEnv output is only export and
// comment lines whose double-quoted values are closed where they should be.
func FuzzFillTemplate(f *testing.F) {
	f.Add([]byte(`{"m": "$webmessage", "u": "${ip}", "c": "$$5"}`))
	f.Add([]byte("{\"a\": {\"b\": [1, \"$x\"]}, \"s\": \"`q` \\\"\"}"))
	f.Add([]byte("${ $1 $"))
	f.Fuzz(func(t *testing.T, text []byte) {
		none := func(string) (string, bool) { return "", false }
		got, err := FillTemplate("fuzz.json", bytes.ReplaceAll(text, []byte("$"), []byte("$$")), none)
		if err != nil || !bytes.Equal(got, text) {
			t.Fatalf("FillTemplate(doubled %q) = %q, %v; want the text", text, got, err)
		}
		filled, err := FillTemplate("fuzz.json", text, func(k string) (string, bool) { return k, len(k)%2 == 0 })
		if err != nil {
			filled = text
		}
		env, err := BootEnv(filled)
		if err != nil {
			return
		}
		if err := checkEnvFile(string(env)); err != nil {
			t.Fatalf("BootEnv(%q) = %q: %v", filled, env, err)
		}
	})
}

// checkEnvFile checks that env is a sequence of `# skipped key "..."` lines
// and `export NAME="VALUE"` lines whose escaped VALUE ends at its closing
// quote right before the newline.
func checkEnvFile(env string) error {
	for pos := 0; pos < len(env); {
		rest := env[pos:]
		switch {
		case strings.HasPrefix(rest, "# skipped key "):
			nl := strings.IndexByte(rest, '\n')
			if nl < 0 {
				return fmt.Errorf("unterminated comment at %d", pos)
			}
			pos += nl + 1
		case strings.HasPrefix(rest, "export "):
			eq := strings.Index(rest, "=\"")
			if eq < 0 || identLen([]byte(rest[7:eq])) != eq-7 {
				return fmt.Errorf("bad export name at %d", pos)
			}
			var v strings.Builder
			end, err := doubleQuoted(env, pos+eq+2, &v)
			if err != nil || end+1 >= len(env) || env[end+1] != '\n' {
				return fmt.Errorf("value at %d not closed before a newline", pos)
			}
			pos = end + 2
		default:
			return fmt.Errorf("unexpected line at %d", pos)
		}
	}
	return nil
}
