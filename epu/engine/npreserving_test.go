package engine_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

// step is one action of a scenario and, when want is set, what must hold
// after it.
type step struct {
	op      string // init, reconf, decide, health (id, ok)
	conf    engine.Conf
	id      string
	ok      bool
	wantErr error
	want    *outcome
}

// outcome is what a scenario checks: the harness counters, the provisioner
// vars configured, and for the unique keys listed in Uniques, the instance
// recorded (with " inactive" appended when it is not valid); for the ids
// listed in States, their state.
type outcome struct {
	Num, Launched, Killed int
	ProvVars              map[string]string
	Uniques               map[string]string
	States                map[string]epu.State
}

func observe(h *enginetest.Harness, e *engine.Npreserving, want *outcome) outcome {
	got := outcome{Num: h.NumLaunched, Launched: h.TotalLaunched, Killed: h.TotalKilled, ProvVars: h.ProvVars}
	if want.Uniques != nil {
		got.Uniques = map[string]string{}
		for k := range want.Uniques {
			id, ok := e.UniqueInstance(k)
			switch {
			case !ok:
				got.Uniques[k] = "none"
			case !h.Active(id):
				got.Uniques[k] = id + " inactive"
			default:
				got.Uniques[k] = id
			}
		}
	}
	if want.States != nil {
		got.States = map[string]epu.State{}
		for id := range want.States {
			got.States[id] = h.State.Instances[id].State
		}
	}
	return got
}

func runSteps(t *testing.T, steps []step) (*enginetest.Harness, *engine.Npreserving) {
	t.Helper()
	h := enginetest.New()
	e := engine.NewNpreserving()
	for n, s := range steps {
		var err error
		switch s.op {
		case "init":
			err = e.Initialize(h, h.State, s.conf)
		case "reconf":
			err = e.Reconfigure(h, s.conf)
		case "decide":
			err = e.Decide(h, h.State)
		case "health":
			h.NewHealth(s.id, s.ok)
		default:
			t.Fatalf("step %d: unknown op %q", n, s.op)
		}
		if !errors.Is(err, s.wantErr) {
			t.Fatalf("step %d (%s %v): error %v, want %v", n, s.op, s.conf, err, s.wantErr)
		}
		if s.want != nil {
			if diff := cmp.Diff(*s.want, observe(h, e, s.want)); diff != "" {
				t.Fatalf("step %d (%s %v) (-want +got):\n%s", n, s.op, s.conf, diff)
			}
		}
	}
	return h, e
}

func decideWant(num, launched, killed int) step {
	return step{op: "decide", want: &outcome{Num: num, Launched: launched, Killed: killed}}
}

func nConf(n any) engine.Conf { return engine.Conf{"preserve_n": n} }

func uniq(n string, keys ...string) engine.Conf {
	u := map[string]any{}
	for _, k := range keys {
		u[k] = map[string]any{"akey": "uniq" + k + "value"}
	}
	return engine.Conf{"preserve_n": n, "unique_instances": u}
}

// TestNpreservingScenarios is N1–N20 of reference §2.7
// (test_npreserving_engine.py) under the instant-RUNNING harness.
func TestNpreservingScenarios(t *testing.T) {
	var n5 []step
	for n := range 20 {
		n5 = append(n5, step{op: "reconf", conf: nConf(float64(n))}, decideWant(n, max(n, 0), 0))
	}
	for n := 19; n >= 0; n-- {
		n5 = append(n5, step{op: "reconf", conf: nConf(float64(n))}, step{op: "decide", want: &outcome{Num: n, Launched: 19, Killed: 19 - n}})
	}
	n12 := []step{{op: "reconf", conf: uniq("2", "1", "2")}, {op: "decide", want: &outcome{Num: 2, Launched: 2, Uniques: map[string]string{"1": "i-0001", "2": "i-0002"}}}}
	pv := map[string]any{"workerid": "abcdefg"}

	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"N1 preserve 0", []step{{op: "init", conf: nConf("0")}, decideWant(0, 0, 0)}},
		{"N2 preserve 1", []step{{op: "init", conf: nConf("1")}, decideWant(1, 1, 0)}},
		{"N3 preserve 5", []step{{op: "init", conf: nConf("5")}, decideWant(5, 5, 0)}},
		{"N4 reconfigure 0 1 0", []step{
			{op: "init", conf: nConf("0")}, decideWant(0, 0, 0),
			{op: "reconf", conf: nConf("1")}, decideWant(1, 1, 0),
			{op: "reconf", conf: nConf("0")}, decideWant(0, 1, 1),
		}},
		{"N5 reconfigure up to 19 and down", n5},
		{"N6 preserve_n asd", []step{{op: "init", conf: nConf("asd"), wantErr: engine.ErrBadConf}}},
		{"N7 preserve_n -1", []step{{op: "init", conf: nConf("-1"), wantErr: engine.ErrBadConf}}},
		{"N8 reconfigure without init", []step{{op: "reconf", conf: nConf("1")}, decideWant(1, 1, 0)}},
		{"N9 provisioner_vars not pushed at init", []step{
			{op: "init", conf: engine.Conf{"preserve_n": "0", "provisioner_vars": pv}}, decideWant(0, 0, 0),
		}},
		{"N10 provisioner_vars pushed by reconfigure", []step{
			{op: "init", conf: nConf("1")}, decideWant(1, 1, 0),
			{op: "reconf", conf: engine.Conf{"preserve_n": "1", "provisioner_vars": pv}},
			{op: "decide", want: &outcome{Num: 1, Launched: 1, ProvVars: map[string]string{"workerid": "abcdefg"}}},
		}},
		{"N11 one unique", []step{
			{op: "reconf", conf: uniq("1", "1")},
			{op: "decide", want: &outcome{Num: 1, Launched: 1, Uniques: map[string]string{"1": "i-0001"}}},
		}},
		{"N12 two uniques", n12},
		{"N13 more uniques than preserve_n", []step{
			{op: "reconf", conf: uniq("1", "1", "2"), wantErr: engine.ErrBadConf}, decideWant(0, 0, 0),
		}},
		{"N14 lower preserve_n below the uniques", append(n12,
			step{op: "reconf", conf: uniq("1", "1", "2"), wantErr: engine.ErrBadConf},
			step{op: "reconf", conf: nConf("1"), wantErr: engine.ErrBadConf},
			step{op: "decide", want: &outcome{Num: 2, Launched: 2, Uniques: map[string]string{"1": "i-0001", "2": "i-0002"}}},
		)},
		{"N15 a unique removed", append(n12,
			step{op: "reconf", conf: uniq("1", "1")},
			step{op: "decide", want: &outcome{Num: 1, Launched: 2, Killed: 1,
				Uniques: map[string]string{"1": "i-0001", "2": "i-0002 inactive"},
				States:  map[string]epu.State{"i-0002": epu.Terminating}}},
		)},
		{"N16 new values for a unique keep its instance", []step{
			{op: "reconf", conf: uniq("1", "1")}, decideWant(1, 1, 0),
			{op: "reconf", conf: engine.Conf{"preserve_n": "1", "unique_instances": map[string]any{"1": map[string]any{"akey": "uniq1value2"}}}},
			{op: "decide", want: &outcome{Num: 1, Launched: 1, Uniques: map[string]string{"1": "i-0001"}}},
		}},
		{"N17 one unique one generic", []step{
			{op: "reconf", conf: uniq("2", "1")},
			{op: "decide", want: &outcome{Num: 2, Launched: 2, Uniques: map[string]string{"1": "i-0001"}}},
		}},
		{"N18 preserve_n 5 1 2 1 with a unique", []step{
			{op: "reconf", conf: uniq("5", "1")},
			{op: "decide", want: &outcome{Num: 5, Launched: 5, Uniques: map[string]string{"1": "i-0001"}}},
			{op: "reconf", conf: nConf("1")},
			{op: "decide", want: &outcome{Num: 1, Launched: 5, Killed: 4, Uniques: map[string]string{"1": "i-0001"}}},
			{op: "reconf", conf: nConf("2")},
			{op: "decide", want: &outcome{Num: 2, Launched: 6, Killed: 4, Uniques: map[string]string{"1": "i-0001"}}},
			{op: "reconf", conf: nConf("1")},
			{op: "decide", want: &outcome{Num: 1, Launched: 6, Killed: 5, Uniques: map[string]string{"1": "i-0001"}}},
		}},
		{"N19 a second unique added then removed", []step{
			{op: "reconf", conf: uniq("2", "1")},
			{op: "decide", want: &outcome{Num: 2, Launched: 2, Uniques: map[string]string{"1": "i-0001"}}},
			{op: "reconf", conf: uniq("3", "1", "2")},
			{op: "decide", want: &outcome{Num: 3, Launched: 3, Uniques: map[string]string{"1": "i-0001", "2": "i-0003"}}},
			{op: "reconf", conf: uniq("2", "1")},
			{op: "decide", want: &outcome{Num: 2, Launched: 3, Killed: 1,
				Uniques: map[string]string{"1": "i-0001", "2": "i-0003 inactive"}}},
		}},
		{"N20 unhealthy unique then generic", []step{
			{op: "reconf", conf: uniq("2", "1")}, decideWant(2, 2, 0),
			{op: "decide", want: &outcome{Num: 2, Launched: 2, Uniques: map[string]string{"1": "i-0001"},
				States: map[string]epu.State{"i-0001": epu.Running, "i-0002": epu.Running}}},
			{op: "health", id: "i-0001", ok: false},
			{op: "decide", want: &outcome{Num: 2, Launched: 3, Killed: 1, Uniques: map[string]string{"1": "i-0003"},
				States: map[string]epu.State{"i-0001": epu.Terminating, "i-0002": epu.Running, "i-0003": epu.Running}}},
			{op: "health", id: "i-0002", ok: false},
			{op: "decide", want: &outcome{Num: 2, Launched: 4, Killed: 2, Uniques: map[string]string{"1": "i-0003"},
				States: map[string]epu.State{"i-0002": epu.Terminating, "i-0004": epu.Running}}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.steps) })
	}
}

// TestNpreservingInitialize checks what Initialize asks of the controller
// and how it reads preserve_n.
func TestNpreservingInitialize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		conf    engine.Conf
		want    int // instances after one decide
		wantErr string
	}{
		{"no conf", nil, 0, ""},
		{"empty conf", engine.Conf{}, 0, ""},
		{"no preserve_n", engine.Conf{"force_site": "local"}, 0, ""},
		{"JSON number", nConf(3.0), 3, ""},
		{"string with spaces", nConf(" 2 "), 2, ""},
		{"fraction", nConf(1.5), 0, `preserve_n: bad engine configuration: 1.5 is not an integer`},
		{"boolean", nConf(true), 0, `preserve_n: bad engine configuration: true is not an integer`},
		{"asd", nConf("asd"), 0, `preserve_n: bad engine configuration: "asd" is not an integer`},
		{"negative", nConf("-1"), 0, `preserve_n: bad engine configuration: -1 is negative`},
		{"uniques over N", uniq("1", "a", "b"), 0, `unique_instances: bad engine configuration: 2 unique instances exceed preserve_n 1`},
		{"unique not an object", engine.Conf{"preserve_n": "1", "unique_instances": map[string]any{"a": "x"}}, 0,
			`unique_instances.a: bad engine configuration: x (string) is not an object`},
		{"unique var nested", engine.Conf{"preserve_n": "1", "unique_instances": map[string]any{"a": map[string]any{"k": []any{}}}}, 0,
			`unique_instances.a.k: bad engine configuration: [] ([]interface {}) is not a string, number or boolean`},
		{"site not a string", engine.Conf{"force_site": 3.0}, 0, `force_site: bad engine configuration: 3 (float64) is not a string`},
		{"provisioner_vars not an object", engine.Conf{"provisioner_vars": "x"}, 0, `provisioner_vars: bad engine configuration: x (string) is not an object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewNpreserving()
			err := e.Initialize(h, h.State, tc.conf)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, engine.ErrBadConf) {
					t.Fatalf("Initialize: %v, want ErrBadConf %q", err, tc.wantErr)
				}
				if h.Pulse != 0 {
					t.Errorf("a refused conf configured the pulse")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Decide(h, h.State); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("pulse %v, %d valid, vars %v", h.Pulse, len(h.Valid()), h.ProvVars)
			want := fmt.Sprintf("pulse 5s, %d valid, vars map[]", tc.want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
