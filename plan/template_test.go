package plan

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mapBag(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestFillTemplate(t *testing.T) {
	bag := mapBag(map[string]string{"webmessage": "hi there", "ip": "1.2.3.4", "Case": "C", "_u1": "u", "empty": ""})
	tests := []struct {
		name, in, want string
	}{
		{"no placeholders", `{"a": 1}`, `{"a": 1}`},
		{"named", `{"m": "$webmessage"}`, `{"m": "hi there"}`},
		{"braced", `{"u": "http://${ip}:80"}`, `{"u": "http://1.2.3.4:80"}`},
		{"name ends at a non-identifier char", `$ip.x $ip-y`, `1.2.3.4.x 1.2.3.4-y`},
		{"braced glued to text", `${ip}suffix`, `1.2.3.4suffix`},
		{"case-sensitive", `$Case`, `C`},
		{"underscore and digits", `$_u1`, `u`},
		{"empty value", `[$empty]`, `[]`},
		{"$$ escapes", `cost $$5 and $${ip} and $$$ip`, `cost $5 and ${ip} and $1.2.3.4`},
		{"values are not re-scanned", `$webmessage`, `hi there`},
		{"multi-line", "{\n  \"ip\": \"$ip\"\n}\n", "{\n  \"ip\": \"1.2.3.4\"\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FillTemplate("conf.json", []byte(tt.in), bag)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFillTemplateErrors(t *testing.T) {
	bag := mapBag(map[string]string{"ip": "1.2.3.4", "case": "c"})
	tests := []struct {
		name, in, want string
	}{
		{"missing named", "{\n \"a\": \"$nope\"}", `bootconf "conf.json": line 2: no value for "$nope"`},
		{"missing braced", `${nope}`, `bootconf "conf.json": line 1: no value for "${nope}"`},
		{"lookup is case-sensitive", `$Case`, `bootconf "conf.json": line 1: no value for "$Case"`},
		{"digit after $", "ok\n  $1abc", `bootconf "conf.json": line 2, column 3: invalid placeholder "$1abc"`},
		{"lone $ at end", `cost 5$`, `bootconf "conf.json": line 1, column 7: invalid placeholder "$"`},
		{"$ space", "a $ b\nc", `bootconf "conf.json": line 1, column 3: invalid placeholder "$ b"`},
		{"unterminated brace", `x ${ip`, `bootconf "conf.json": line 1, column 3: invalid placeholder "${ip"`},
		{"bad braced name", `${i-p}`, `bootconf "conf.json": line 1, column 1: invalid placeholder "${i-p}"`},
		{"empty braces", `${}`, `bootconf "conf.json": line 1, column 1: invalid placeholder "${}"`},
		{"svc.attr syntax is not a template name", `${web.ip}`, `bootconf "conf.json": line 1, column 1: invalid placeholder "${web.ip}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FillTemplate("conf.json", []byte(tt.in), bag)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootEnv(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"document order", `{"b": "2", "a": "1"}`, "export b=\"2\"\nexport a=\"1\"\n"},
		{"scalars as JSON text", `{"n": 1.50, "t": true, "f": false, "z": null, "i": -3}`,
			"export n=\"1.50\"\nexport t=\"true\"\nexport f=\"false\"\nexport z=\"null\"\nexport i=\"-3\"\n"},
		{"nested as compact JSON", `{"o": {"x": [1, 2], "y": "s"}, "l": [ "a" , {} ]}`,
			"export o=\"{\\\"x\\\":[1,2],\\\"y\\\":\\\"s\\\"}\"\nexport l=\"[\\\"a\\\",{}]\"\n"},
		{"string raw with escaping", `{"s": "a \"q\" \\ $HOME ` + "`cmd`" + ` \u00e9\nnl"}`,
			"export s=\"a \\\"q\\\" \\\\ \\$HOME \\`cmd\\` é\nnl\"\n"},
		{"duplicate key keeps first place, last value", `{"a": "1", "b": "2", "a": "3"}`, "export a=\"3\"\nexport b=\"2\"\n"},
		{"key not a shell name", `{"my-key": "v", "ok_1": "w", "": "e"}`,
			"# skipped key \"my-key\": not a shell variable name\nexport ok_1=\"w\"\n# skipped key \"\": not a shell variable name\n"},
		{"empty object", `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BootEnv([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootEnvNotObject(t *testing.T) {
	for _, in := range []string{``, `[1, 2]`, `"s"`, `3`, `{"a": }`, `{"a": 1}{}`, `{"a": 1} x`, `{"a": 1`, `not json`} {
		t.Run(in, func(t *testing.T) {
			if _, err := BootEnv([]byte(in)); !errors.Is(err, ErrNotObject) {
				t.Errorf("BootEnv(%q) error = %v, want ErrNotObject", in, err)
			}
		})
	}
}

// TestBootEnvNotObjectCause: the JSON decoder's error stays in the chain
// beside ErrNotObject, so a caller can tell where the text broke.
func TestBootEnvNotObjectCause(t *testing.T) {
	_, err := BootEnv([]byte(`{"a": }`))
	var se *json.SyntaxError
	if !errors.Is(err, ErrNotObject) || !errors.As(err, &se) {
		t.Fatalf("BootEnv error = %v, want ErrNotObject wrapping a *json.SyntaxError", err)
	}
}
