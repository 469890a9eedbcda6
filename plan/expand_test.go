package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeResolver is an in-memory Resolver: fields["svc"]["attr"] (a value of
// unsetValue means "exists, no value yet") and rows["svc"], the bag.
type fakeResolver struct {
	fields  map[string]map[string]string
	rows    map[string][]Row
	globals map[string]string
	calls   []string // every Field ("svc.attr") and Rows ("rows svc"), in order
}

const unsetValue = "\x00unset"

func (f *fakeResolver) known(svc string) bool {
	_, a := f.fields[svc]
	_, b := f.rows[svc]
	return a || b
}

func (f *fakeResolver) Field(svc, attr string) (string, bool, error) {
	f.calls = append(f.calls, svc+"."+attr)
	if !f.known(svc) {
		return "", false, fmt.Errorf("fake: %q: %w", svc, ErrUnknownService)
	}
	v, ok := f.fields[svc][attr]
	if !ok {
		return "", false, fmt.Errorf("fake: %q.%q: %w", svc, attr, ErrUnknownAttr)
	}
	if v == unsetValue {
		return "", false, nil
	}
	return v, true, nil
}

func (f *fakeResolver) Rows(svc string) ([]Row, error) {
	f.calls = append(f.calls, "rows "+svc)
	if !f.known(svc) {
		return nil, fmt.Errorf("fake: %q: %w", svc, ErrUnknownService)
	}
	return f.rows[svc], nil
}

func (f *fakeResolver) Global(name string) (string, bool) {
	v, ok := f.globals[name]
	return v, ok
}

// rows makes a bag from "key", "value" pairs.
func rows(kv ...string) []Row {
	var out []Row
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Row{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func newFake() *fakeResolver {
	return &fakeResolver{
		fields: map[string]map[string]string{
			"web": {"hostname": "web.example", "later": unsetValue, "selfref": "${.selfref}"},
			"db":  {"hostname": unsetValue},
		},
		rows: map[string][]Row{
			"web": rows("port", "8080", "empty", "", "url", "http://${.hostname}:${.port}/",
				"home", "/opt/web", "conf", "${.home}/conf", "hi", "${global.greeting}"),
			"db": rows("dsn", "pg://${.hostname}/x", "webconf", "${web.conf}", "p", "${web.port}"),
			"a":  rows("b", "${c.d}", "x", "${c.y}"),
			"c":  rows("d", "${a.b}", "y", "ok"),
			"ab": rows("q", "${x.nope}"),
		},
		globals: map[string]string{"var1": "world", "greeting": "hello ${.port}", "empty": ""},
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name, in, self, want string
	}{
		{"no tokens", "plain $text {x} $", "web", "plain $text {x} $"},
		{"no tokens, longer than an expanded value may be", strings.Repeat("x", MaxValueSize+1), "web", strings.Repeat("x", MaxValueSize+1)},
		{"service attr", "${web.hostname}", "db", "web.example"},
		{"self", "${.port}", "web", "8080"},
		{"global", "hello ${global.var1}", "web", "hello world"},
		{"empty global", "[${global.empty}]", "web", "[]"},
		{"global value expanded in the referring context", "${global.greeting}", "web", "hello 8080"},
		{"recursive in owner's context", "${web.url}", "db", "http://web.example:8080/"},
		{"two levels", "${db.webconf}", "db", "/opt/web/conf"},
		{"unset left in place", "x ${web.later} y", "db", "x ${web.later} y"},
		{"unset self left in place", "${.hostname}", "db", "${.hostname}"},
		{"unset inside recursion", "${db.dsn}", "web", "pg://${.hostname}/x"},
		{"empty replaced by nothing", "[${web.empty}]", "db", "[]"},
		{"every token left to right", "${web.port}${web.port}-${.p}${web.empty}${web.hostname}", "db", "80808080-8080web.example"},
		{"short replacement does not skip the next token", "${web.empty}${web.port}", "db", "8080"},
		{"} never swallowed", "${a} ${web.port}", "db", "${a} 8080"},
		{"${ inside service part", "${a ${web.port}", "db", "${a 8080"},
		{"unterminated", "${web.port", "db", "${web.port"},
		{"no dot", "${web}", "db", "${web}"},
		{"dot after }", "${web} .x}", "db", "${web} .x}"},
		{"lone $ and {", "$ {web.port} $${web.port}", "db", "$ {web.port} $8080"},
		{"same token twice is no cycle", "${web.conf} ${web.conf}", "db", "/opt/web/conf /opt/web/conf"},
		{"diamond is no cycle", "${a.x}", "a", "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.in, tt.self, newFake())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandLookupOrder(t *testing.T) {
	r := newFake()
	if _, err := Expand("${web.empty}${web.port}|${.url}|${.url}${.hostname}", "web", r); err != nil {
		t.Fatal(err)
	}
	// The bag is read once; hostname is asked for before the bag (and
	// once: the url row is expanded once).
	want := []string{"rows web", "web.hostname"}
	if diff := cmp.Diff(want, r.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name, in, self, want string
		is                   error
	}{
		{"unknown attr", "${web.nope}", "db", `${web.nope}: service "web" has no attribute "nope"`, ErrUnknownAttr},
		{"unknown self attr", "${.nope}", "web", `${.nope}: service "web" has no attribute "nope"`, ErrUnknownAttr},
		{"unknown service", "${x.y}", "web", `${x.y}: service "x" not found`, ErrUnknownService},
		{"unknown global", "${global.var2}", "web", `${global.var2}: the global variable "var2" is not set`, ErrUnknownGlobal},
		{"nested error reads like a path", "${ab.q}", "web", `${ab.q}: ${x.nope}: service "x" not found`, ErrUnknownService},
		{"cycle", "${a.b}", "web", `${a.b}: reference cycle: a.b -> c.d -> a.b`, ErrCycle},
		{"cycle from the middle", "${c.d}", "web", `${c.d}: reference cycle: c.d -> a.b -> c.d`, ErrCycle},
		{"self reference", "${.selfref}", "web", `${.selfref}: reference cycle: web.selfref -> web.selfref`, ErrCycle},
		{"error after a good token", "${web.port} ${web.nope}", "db", `${web.nope}: service "web" has no attribute "nope"`, ErrUnknownAttr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tt.in, tt.self, newFake())
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestRefs(t *testing.T) {
	tests := []struct {
		in   string
		want []Ref
	}{
		{"none $x {a.b}", nil},
		{"${a.b}${.c}${global.g}", []Ref{
			{Service: "a", Attr: "b"},
			{Attr: "c", Self: true},
			{Service: "global", Attr: "g", Global: true},
		}},
		{"${a} ${b.c.d}", []Ref{{Service: "b", Attr: "c.d"}}},
		{"${a.}", []Ref{{Service: "a", Attr: ""}}},
		{"${a.b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Refs(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := (Ref{Service: "a", Attr: "b"}).String(); got != "${a.b}" {
		t.Errorf("String() = %q", got)
	}
}
