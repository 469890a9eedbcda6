package bootlevel

import (
	"strings"
	"sync"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// scopes remembers, per iaas value, whether the driver was told about the
// services that use it. The zero value is ready.
type scopes struct {
	mu   sync.Mutex
	once map[string]*sync.Once
}

func (s *scopes) get(name string) *sync.Once {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.once == nil {
		s.once = map[string]*sync.Once{}
	}
	o := s.once[name]
	if o == nil {
		o = &sync.Once{}
		s.once[name] = o
	}
	return o
}

// addScopes tells d, opened for the iaas value name, about every launching
// service whose iaas expands to name (once per value and Engine; concurrent
// callers wait until it is done), when d is an iaas.ScopeAdder.
func (e *run) addScopes(r *Resolver, name string, d iaas.Driver) {
	a, ok := iaas.As[iaas.ScopeAdder](d)
	if !ok {
		return
	}
	e.scopes.get(name).Do(func() {
		for s := range e.v.rows() {
			if !flag(s, "iaas_launch") {
				continue
			}
			if v, err := r.Setting(s.Name, "iaas"); err != nil || !strings.EqualFold(v, name) {
				continue
			}
			spec, err := e.spec(r, s, d, s.Attempt, "")
			if err == nil {
				err = a.AddScope(spec)
			}
			if err != nil {
				e.log().Warn("tell the driver where the service's instances live", "service", s.Name, "iaas", name, "err", err)
			}
		}
	})
}

// hostless reports whether s never needs its host: ssh_check false and no
// program at all, so nothing is run or staged there (terminate skips the
// host steps; the boot pipeline is ready when the instance runs).
func hostless(s store.Service) bool {
	if v, _ := s.Setting("ssh_check"); !strings.EqualFold(v, "false") || flag(s, "local_exe") {
		return false
	}
	for _, k := range []string{"bootpgm", "readypgm", "terminatepgm"} {
		if v, _ := s.Setting(k); v != "" {
			return false
		}
	}
	return true
}
