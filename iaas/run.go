package iaas

import (
	"fmt"
	"strings"
)

// RunID is the identity of a run: the name people type, and the
// incarnation, a random id made with the run's record. Two records may
// share a name (two record directories, two people on one cloud account,
// a name used again after terminate); they never share an incarnation.
// Everything a run owns outside the process (tags, client tokens, sweeps)
// is named by the whole RunID, never by the name alone.
type RunID struct {
	Name        string
	Incarnation string
}

// String is "name.incarnation", or the name alone when the incarnation is
// unknown (an instance launched before full ids were tagged).
func (r RunID) String() string {
	if r.Incarnation == "" {
		return r.Name
	}
	return r.Name + "." + r.Incarnation
}

// ParseRunID reads what [RunID.String] wrote for a run with an
// incarnation: the text after the last '.' is the incarnation (lowercase
// hex digits, never a '.'), the rest the name. Anything else is an error.
func ParseRunID(s string) (RunID, error) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return RunID{}, fmt.Errorf("run id %q: want NAME.INCARNATION", s)
	}
	name, inc := s[:i], s[i+1:]
	for _, c := range inc {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return RunID{}, fmt.Errorf("run id %q: incarnation %q is not lowercase hex", s, inc)
		}
	}
	return RunID{Name: name, Incarnation: inc}, nil
}

// Claims reports whether inst, found by [RunFinder.FindByRun] for r,
// belongs to r's record. An instance whose driver recorded a full id
// belongs to the record with exactly that id. An instance launched before
// full ids were recorded (Instance.Run without incarnation) belongs to r
// only when its client token is one r's record issued (issued reports
// that; nil: none), since client tokens carry the incarnation and the
// record keeps every token it used. Anything else with r's name belongs to
// another record and must be left alone.
func (r RunID) Claims(inst Instance, issued func(token string) bool) bool {
	if inst.Run.Name != r.Name {
		return false
	}
	if inst.Run.Incarnation != "" {
		return r.Incarnation != "" && inst.Run.Incarnation == r.Incarnation
	}
	return inst.ClientToken != "" && issued != nil && issued(inst.ClientToken)
}
