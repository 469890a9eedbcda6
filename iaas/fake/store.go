package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// store keeps the fake cloud's records. lock serialises the read-modify-
// write of Launch and Terminate (across processes for the disk store);
// load may be called without it.
type store interface {
	lock() (unlock func(), err error)
	load(id string) (record, bool, error)
	save(r record) error
	all() ([]record, error)
}

// validID guards file names: only ids this driver makes ("fake-" and 8
// lower-case hex digits) are looked up.
func validID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "fake-")
	if !ok || len(hexPart) != 8 {
		return false
	}
	for _, c := range hexPart {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// memStore keeps records in memory only (Memory mode: benchmarks, dry
// runs). Drivers made with Clone share it.
type memStore struct {
	op sync.Mutex // the cloud lock
	mu sync.RWMutex
	m  map[string]record
}

func newMemStore() *memStore { return &memStore{m: map[string]record{}} }

func (s *memStore) lock() (func(), error) { s.op.Lock(); return s.op.Unlock, nil }

func (s *memStore) load(id string) (record, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.m[id]
	return r, ok, nil
}

func (s *memStore) save(r record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[r.ID] = r
	return nil
}

func (s *memStore) all() ([]record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]record, 0, len(s.m))
	for _, r := range s.m {
		out = append(out, r)
	}
	return out, nil
}

// diskStore keeps one JSON file per instance in dir, written atomically
// (temporary file + rename) so readers never see half a record, under an
// flock on dir/.lock so that processes sharing dir do not race. A record
// whose instance was terminated never changes again, so it is cached;
// others are read afresh, since another process may have terminated them.
type diskStore struct {
	dir string
	mu  sync.Mutex // in-process half of the cloud lock (flock is per file description)

	cacheMu sync.RWMutex
	cache   map[string]record
}

func newDiskStore(dir string) (*diskStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fake: state directory: %w", err)
	}
	return diskStoreAt(dir), nil
}

// diskStoreAt is the store on dir, which exists: a new cache, as a new
// process would have.
func diskStoreAt(dir string) *diskStore {
	return &diskStore{dir: dir, cache: map[string]record{}}
}

func (s *diskStore) path(id string) string { return filepath.Join(s.dir, id+".json") }

func (s *diskStore) lock() (func(), error) {
	s.mu.Lock()
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("fake: lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		s.mu.Unlock()
		return nil, fmt.Errorf("fake: lock: %w", err)
	}
	return func() {
		unlockFile(f)
		f.Close()
		s.mu.Unlock()
	}, nil
}

func (s *diskStore) load(id string) (record, bool, error) {
	if !validID(id) {
		return record{}, false, nil
	}
	s.cacheMu.RLock()
	r, ok := s.cache[id]
	s.cacheMu.RUnlock()
	if ok {
		return r, true, nil
	}
	b, err := os.ReadFile(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, fmt.Errorf("fake: read %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, false, fmt.Errorf("fake: read %s: %w", id, err)
	}
	s.remember(r)
	return r, true, nil
}

func (s *diskStore) remember(r record) {
	if r.TerminatedAt == nil {
		return
	}
	s.cacheMu.Lock()
	s.cache[r.ID] = r
	s.cacheMu.Unlock()
}

func (s *diskStore) save(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("fake: save %s: %w", r.ID, err)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-"+r.ID+"-*")
	if err != nil {
		return fmt.Errorf("fake: save %s: %w", r.ID, err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fake: save %s: %w", r.ID, err)
	}
	if err := os.Rename(tmp.Name(), s.path(r.ID)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fake: save %s: %w", r.ID, err)
	}
	s.remember(r)
	return nil
}

func (s *diskStore) all() ([]record, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("fake: list: %w", err)
	}
	out := make([]record, 0, len(entries))
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID(id) {
			continue
		}
		r, found, err := s.load(id)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, r)
		}
	}
	return out, nil
}
