package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// loader holds the state of one [Load].
type loader struct {
	opts     Options
	ps       *problems
	top      string // absolute top file
	dir      string // its directory
	defaults *INISection
	defFile  *INIFile
	clouds   map[string]*INISection
	// cache is what one load reads once, however many services (and
	// level files, loaded concurrently) name it; shared by the loaders
	// of the level files (forLevel).
	cache *loadCache
	// scratch is where settings gathers a service's settings (empty
	// between services); each level's loader has its own.
	scratch map[string]Setting
	// workers bounds the level files loaded at once (0: GOMAXPROCS).
	workers int
}

// Load reads the plan whose top-level file is topFile, with every level
// file, deps file and program it names. It checks keys, files and ${}
// references and returns every problem at once: on any error the result is
// a nil plan and an *[InvalidError] (errors.Is(err, [ErrInvalid])) listing
// the errors sorted by file and line. Warnings of a valid plan are in
// Plan.Warnings. The work is linear in the size of the plan; a cancelled
// ctx stops it promptly with an error wrapping ctx's.
func Load(ctx context.Context, topFile string, opts Options) (*Plan, error) {
	return loadPlan(ctx, topFile, opts, 0)
}

// loadPlan is Load with at most workers level files loaded at once (0:
// as many as there are processors).
func loadPlan(ctx context.Context, topFile string, opts Options, workers int) (*Plan, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	top, err := filepath.Abs(topFile)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", topFile, err)
	}
	l := &loader{opts: opts, top: top, dir: filepath.Dir(top), clouds: map[string]*INISection{},
		cache: newLoadCache(opts.LookupEnv, opts.HomeDir), workers: workers}
	l.ps = &problems{base: l.dir}
	p := l.load(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("plan %s: %w", topFile, err)
	}
	errs, warns := l.ps.split()
	if len(errs) > 0 {
		return nil, &InvalidError{Problems: errs, Warnings: warns}
	}
	p.Warnings = warns
	return p, nil
}

func (l *loader) load(ctx context.Context) *Plan {
	p := &Plan{TopFile: l.top, Globals: map[string]Global{}}
	f := l.readINI(ctx, l.top, "", "", "", 0, "plan file")
	if f == nil {
		p.Globals = l.loadGlobals(ctx, nil)
		return p
	}
	l.defFile = f
	for _, s := range f.Sections {
		switch {
		case s.Name == "runlevels", s.Name == "globals":
		case s.Name == "defaults":
			l.defaults = s
			l.checkKeys(f, s, inDefaults)
		case strings.HasPrefix(s.Name, "cloud-"):
			l.clouds[s.Name] = s
			p.Clouds = append(p.Clouds, s.Name)
			l.checkKeys(f, s, inCloud)
		case strings.HasPrefix(s.Name, "svc-"):
			// a top file that is also a level file
		default:
			l.ps.warnf(l.top, s.Name, "", s.Line, "section ignored: a top file has [runlevels], [defaults], [globals] and [cloud-*]")
		}
	}
	p.Globals = l.loadGlobals(ctx, f.Section("globals"))
	p.Levels = l.loadLevels(ctx, f)
	p.index()
	l.checkDuplicates(p)
	l.checkRefs(ctx, p)
	l.checkSecretArgs(p)
	l.checkIaaS(ctx, p)
	return p
}

// readINI reads path; a problem is reported at (file, section, key, line)
// when given, else against path itself. what names the file in messages.
func (l *loader) readINI(ctx context.Context, path, file, section, key string, line int, what string) *INIFile {
	if file == "" {
		file = path
	}
	f, err := ReadINI(ctx, path)
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		if file == path {
			// Name the whole path: the user may have typed it from anywhere.
			l.ps.errorf(file, section, key, line, "%s does not exist: %s", what, path)
		} else {
			l.ps.errorf(file, section, key, line, "%s does not exist: %s", what, l.ps.rel(path))
		}
		return nil
	}
	if err != nil {
		var multi interface{ Unwrap() []error }
		errs := []error{err}
		if errors.As(err, &multi) {
			errs = multi.Unwrap()
		}
		for _, e := range errs {
			msg := strings.TrimPrefix(e.Error(), path+": ")
			n := 0
			if rest, ok := strings.CutPrefix(msg, "line "); ok {
				if num, after, ok := strings.Cut(rest, ": "); ok {
					if v, err := strconv.Atoi(num); err == nil {
						n, msg = v, after
					}
				}
			}
			l.ps.errorf(path, "", "", n, "%s", msg)
		}
		return nil
	}
	for _, s := range f.Sections {
		for _, k := range s.Keys {
			if k.Warning != "" {
				l.ps.warnf(path, s.Name, k.Name, k.Line, "value ignored: %s",
					strings.TrimPrefix(k.Warning, "["+s.Name+"] "+k.Name+": "))
			}
		}
	}
	return f
}

// inherited reports whether k of a section is the file's [DEFAULT] key.
func inherited(f *INIFile, k *INIKey) bool {
	if f.Defaults == nil {
		return false
	}
	d, _ := f.Defaults.Key(k.Name)
	return d != nil && d.Line == k.Line
}

// checkKeys warns about the keys of s not honoured in a section of kind
// where, except those inherited from [DEFAULT].
func (l *loader) checkKeys(f *INIFile, s *INISection, where int) {
	for _, k := range s.Keys {
		if inherited(f, k) {
			continue
		}
		if msg := checkKey(k.Name, where); msg != "" {
			l.ps.warnf(f.Path, s.Name, k.Name, k.Line, "%s", msg)
		}
	}
}

// loadLevels reads [runlevels] and every level file.
func (l *loader) loadLevels(ctx context.Context, f *INIFile) []*Level {
	rl := f.Section("runlevels")
	if rl == nil {
		l.ps.errorf(l.top, "", "", 0, "no [runlevels] section: a plan needs at least one level")
		return nil
	}
	var levels []*Level
	keyLine := map[*Level]int{}
	byNumber := map[int]*Level{}
	dropped := map[*Level]bool{}
	seen := 0
	for _, k := range rl.Keys {
		if !strings.HasPrefix(k.Name, "level") {
			if !inherited(f, k) {
				l.ps.warnf(l.top, rl.Name, k.Name, k.Line, "key ignored: level keys start with \"level\"")
			}
			continue
		}
		seen++
		n, err := strconv.Atoi(strings.ReplaceAll(k.Name, "level", ""))
		if err != nil {
			l.ps.errorf(l.top, rl.Name, k.Name, k.Line, "level key must be \"level\" followed by a whole number")
			continue
		}
		if k.Unset() {
			continue
		}
		if o := byNumber[n]; o != nil {
			l.ps.warnf(l.top, rl.Name, k.Name, k.Line, "level %d is also named by %s; this later key wins", n, o.Key)
			dropped[o] = true
		}
		path := k.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(l.dir, path)
		}
		lv := &Level{Number: n, Key: k.Name, File: filepath.Clean(path)}
		levels = append(levels, lv)
		byNumber[n] = lv
		keyLine[lv] = k.Line
	}
	levels = slices.DeleteFunc(levels, func(lv *Level) bool { return dropped[lv] })
	if seen == 0 {
		l.ps.errorf(l.top, rl.Name, "", rl.Line, "no levels: add keys level1, level2, ... naming level files")
	}
	slices.SortStableFunc(levels, func(a, b *Level) int { return cmp.Compare(a.Number, b.Number) })
	l.loadLevelFiles(ctx, levels, func(sub *loader, lv *Level) {
		lf := sub.readINI(ctx, lv.File, l.top, rl.Name, lv.Key, keyLine[lv], "level file")
		if lf == nil {
			return
		}
		sub.loadServices(ctx, lv, lf)
	})
	return levels
}
