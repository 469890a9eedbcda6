package epu

import (
	"encoding/json"
	"reflect"
	"time"
)

// Duration is a time.Duration written as a Go string in the daemons'
// configuration JSON ("30s"); a negative one is refused. The provisioner,
// the controller and the agent name it as their own Duration.
type Duration time.Duration

// UnmarshalJSON reads "30s". Its error is a *json.UnmarshalTypeError (of
// type Duration), to which the decoder adds the key.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	err := json.Unmarshal(b, &s)
	v, perr := time.ParseDuration(s)
	if err != nil || perr != nil || v < 0 {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Duration]()}
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D is d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
