package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cloudinitd/cloudinitd/plan"
)

// fakeService is a test double of everything a Service reads and tells:
// settings and bag from maps, every call to its sinks recorded in order.
type fakeService struct {
	settings map[string]string
	bag      map[string]string

	mu      sync.Mutex
	calls   []string // "step running", "running HOST", "booting", ...
	bootout []Attr
	ignored string
	log     strings.Builder
}

func (f *fakeService) service(name string) Service {
	return Service{Name: name, Settings: f, Attrs: attrs{f}, State: f, Bootout: f, Log: f}
}

func (f *fakeService) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeService) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeService) Setting(key string) (string, bool) { v, ok := f.settings[key]; return v, ok }

// attrs is the Attributes of a fakeService: values as written (the tests
// use no ${}).
type attrs struct{ f *fakeService }

func (a attrs) Setting(key string) (string, error) { return a.f.settings[key], nil }

func (a attrs) Bag() (map[string]string, error) { return a.f.bag, nil }

func (a attrs) Args(key string) ([]string, error) { return plan.SplitWords(a.f.settings[key]) }

func (f *fakeService) Step(_ context.Context, step, detail string) {
	f.record("step %s %s", step, detail)
}
func (f *fakeService) Warn(_ context.Context, step, detail string) {
	f.record("warn %s %s", step, detail)
}
func (f *fakeService) Running(_ context.Context, h string) error {
	f.record("running %s", h)
	return nil
}
func (f *fakeService) Hostname(_ context.Context, h string) error {
	f.record("hostname %s", h)
	return nil
}
func (f *fakeService) Booting(context.Context) error        { f.record("booting"); return nil }
func (f *fakeService) Contextualized(context.Context) error { f.record("contextualized"); return nil }
func (f *fakeService) Ready(_ context.Context, ranBoot bool) error {
	f.record("ready ranBoot=%v", ranBoot)
	return nil
}

func (f *fakeService) Bootout(_ context.Context, as []Attr, ignored string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bootout, f.ignored = as, ignored
	return nil
}

func (f *fakeService) Printf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(&f.log, format+"\n", args...)
}

func (f *fakeService) Stream(step, stream string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		f.Printf("%s %s: %s", step, stream, strings.TrimRight(string(p), "\n"))
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// keyStore is a KeyStore in memory.
type keyStore struct {
	mu   sync.Mutex
	keys map[string]string
}

func (k *keyStore) HostKey(_ context.Context, svc string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[svc], nil
}

func (k *keyStore) SetHostKey(_ context.Context, svc, line string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]string{}
	}
	k.keys[svc] = line
	return nil
}
