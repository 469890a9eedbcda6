package plan

import (
	"context"
	"os"
	"runtime"
	"sync"
)

// loadCache holds what one Load reads once, however many services name
// it: parsed deps files (nil: unreadable, reported), os.Stat results, file
// contents, the home directory. The level files load concurrently
// (loadLevelFiles), so every use takes mu; the environment is read under
// it too, since Options.LookupEnv need not be safe for concurrent use.
type loadCache struct {
	mu       sync.Mutex
	env      func(string) (string, bool)
	home     string
	homeErr  error
	homeDone bool
	parsed   map[string]*INIFile
	stats    map[string]error
	reads    map[string][]byte
}

func newLoadCache(env func(string) (string, bool), home string) *loadCache {
	return &loadCache{env: env, home: home,
		parsed: map[string]*INIFile{}, stats: map[string]error{}, reads: map[string][]byte{}}
}

// lookupEnv is Options.LookupEnv.
func (c *loadCache) lookupEnv(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.env(name)
}

// homeDir is Options.HomeDir, else os.UserHomeDir (asked once).
func (c *loadCache) homeDir() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.homeDone {
		c.homeDone = true
		if c.home == "" {
			c.home, c.homeErr = os.UserHomeDir()
		}
	}
	return c.home, c.homeErr
}

// stat is os.Stat(path)'s error, asked once per load.
func (l *loader) stat(path string) error {
	c := l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	err, ok := c.stats[path]
	if !ok {
		_, err = os.Stat(path)
		c.stats[path] = err
	}
	return err
}

// read is os.ReadFile(path), read once per load.
func (l *loader) read(path string) ([]byte, error) {
	c := l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if data, ok := c.reads[path]; ok {
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		c.reads[path] = data
	}
	return data, err
}

// depsFile returns the deps file of setting st (key), parsed once per
// load however many services share it (nil: unreadable, reported by the
// loader that read it first).
func (l *loader) depsFile(ctx context.Context, st Setting, key string) *INIFile {
	c := l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	f, read := c.parsed[st.Value]
	if !read {
		f = l.readINI(ctx, st.Value, st.Source.File, st.Source.Section, key, st.Source.Line, "deps file")
		c.parsed[st.Value] = f
	}
	return f
}

// forLevel returns a loader for one level file: the same plan, cache and
// top file, its own problems and scratch map, so that level files load
// concurrently.
func (l *loader) forLevel() *loader {
	sub := *l
	sub.ps = &problems{base: l.ps.base}
	sub.scratch = nil
	return &sub
}

// loadLevelFiles calls load for every level, each with a loader of its
// own, as many at once as there are processors (l.workers when set), and then adds their
// problems to l's in level order. Problems are reported sorted and without
// duplicates (problems.split), so the result is the same as one loader's
// level after level: a deps file shared by two levels is reported once,
// by whichever read it first.
func (l *loader) loadLevelFiles(ctx context.Context, levels []*Level, load func(sub *loader, lv *Level)) {
	subs := make([]*loader, len(levels))
	for i := range levels {
		subs[i] = l.forLevel()
	}
	workers := l.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(levels))
	if workers <= 1 {
		for i, lv := range levels {
			load(subs[i], lv)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					load(subs[i], levels[i])
				}
			}()
		}
		for i := range levels {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	for _, sub := range subs {
		l.ps.list = append(l.ps.list, sub.ps.list...)
	}
}
