package epu

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestDuration: Go duration strings round-trip; anything else (a number,
// a malformed or negative duration) is an UnmarshalTypeError of Duration,
// with the key the decoder adds.
func TestDuration(t *testing.T) {
	type conf struct {
		Period Duration `json:"period"`
	}
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{`{"period": "90s"}`, 90 * time.Second, false},
		{`{"period": "0s"}`, 0, false},
		{`{"period": "1h2m"}`, time.Hour + 2*time.Minute, false},
		{`{"period": 5}`, 0, true},
		{`{"period": "5 s"}`, 0, true},
		{`{"period": "-1s"}`, 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var c conf
			err := json.Unmarshal([]byte(tc.in), &c)
			if tc.bad {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) || te.Type != reflect.TypeFor[Duration]() || te.Field != "period" {
					t.Fatalf("error %v (%T), want an UnmarshalTypeError of Duration at period", err, err)
				}
				return
			}
			if err != nil || c.Period.D() != tc.want {
				t.Fatalf("got %v, %v; want %v", c.Period.D(), err, tc.want)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back conf
			if err := json.Unmarshal(b, &back); err != nil || back != c {
				t.Errorf("%s read back as %v, %v", b, back, err)
			}
		})
	}
}
