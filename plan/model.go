package plan

import (
	"slices"
	"strconv"
	"strings"
)

// Options are the inputs of [Load] besides the top file.
type Options struct {
	// GlobalFiles are -G/--globalvarfile files; each must have a [globals]
	// section. Their globals have rank 2.
	GlobalFiles []string
	// GlobalVars are -g/--globalvar KEY=VALUE strings, split at the first '='
	// with the key's case preserved. They have rank 3, the highest.
	GlobalVars []string
	// LookupEnv resolves env.NAME values. Nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// HomeDir replaces a leading ~ in file paths. Empty means
	// os.UserHomeDir, asked only when a path starts with ~.
	HomeDir string
	// IaaS, when set, is what every service's iaas value is checked
	// against: a value it does not know is an error at load. Nil: iaas
	// values are not checked (package plan does not know the drivers).
	IaaS *IaaS
}

// Plan is a loaded launch plan. It is immutable once [Load] returns it: no
// method changes it and callers must not modify its maps and slices.
type Plan struct {
	// TopFile is the absolute path of the top-level file.
	TopFile string
	// Levels are the run levels in ascending Number order.
	Levels []*Level
	// Globals are the merged global variables, by name.
	Globals map[string]Global
	// Clouds are the names of the [cloud-*] sections of the top file
	// (full section names, e.g. "cloud-basic"), in file order.
	Clouds []string
	// Warnings are the non-fatal problems found while loading, sorted by
	// file and line.
	Warnings []Problem

	byName map[string]*Service // set by Load: the first service of each name
}

// index builds the name index of Service.
func (p *Plan) index() {
	p.byName = map[string]*Service{}
	for _, l := range p.Levels {
		for _, s := range l.Services {
			if _, dup := p.byName[s.Name]; !dup {
				p.byName[s.Name] = s
			}
		}
	}
}

// Service returns the service called name (a replica by its full name,
// "node-0"), or nil.
func (p *Plan) Service(name string) *Service {
	if p.byName != nil {
		return p.byName[name]
	}
	for _, l := range p.Levels {
		for _, s := range l.Services {
			if s.Name == name {
				return s
			}
		}
	}
	return nil
}

// Services returns every service in plan order: by level, then by order of
// definition in the level file, replicas in index order.
func (p *Plan) Services() []*Service {
	var all []*Service
	for _, l := range p.Levels {
		all = append(all, l.Services...)
	}
	return all
}

// Level is one run level: the services started together.
type Level struct {
	// Number is the integer left after removing "level" from Key.
	Number int
	// Key is the [runlevels] key that named the level, e.g. "level3".
	Key string
	// File is the absolute path of the level file.
	File string
	// Services are the level's services in order of definition.
	Services []*Service
}

// Service is one [svc-NAME] section after key resolution, or one replica
// of it.
type Service struct {
	// Name is the unique name: the section name without "svc-", or
	// "<base>-<i>" for a replica.
	Name string
	// Base is the section's service name; equal to Name unless a replica.
	Base string
	// Replica is the replica index, or -1 if the service is not a replica.
	Replica int
	// Level is the number of the service's level.
	Level int
	// File is the absolute path of the level file defining the service.
	File string
	// Section is the full section name, e.g. "svc-web"; Line its header's
	// line in File.
	Section string
	Line    int
	// Settings holds the keys that are set after precedence, sorted by
	// key name (configuration names such as "sshkeyname", not DB column
	// names). Paths are absolute; env.NAME values are resolved; ${} is
	// kept raw.
	Settings Settings
	// Deps are the rows of the service's deps files in processing order
	// (deps keys in lexicographic order, rows in file order), a later
	// duplicate key replacing the earlier row. Values are raw.
	Deps []Attr
}

// Settings are a service's settings sorted by key, each key once. A
// slice, not a map: a map of the usual 9 to 16 settings took 2 KiB in
// four allocations per service, the largest allocation of a boot of
// 10,000 services (docs/performance.md, scale7).
type Settings []Setting

// Get returns the setting of key and whether the service has it.
func (ss Settings) Get(key string) (Setting, bool) {
	i, ok := slices.BinarySearchFunc(ss, key, func(st Setting, key string) int { return strings.Compare(st.Key, key) })
	if !ok {
		return Setting{}, false
	}
	return ss[i], true
}

// Setting is the value of one key of a service and where it came from.
type Setting struct {
	Key    string
	Value  string
	Source Source
}

// SourceKind says which stage of the precedence chain supplied a value.
type SourceKind int

// The stages, from highest to lowest precedence, plus Derived for values
// the loader computes (iaas_launch when absent).
const (
	SourceService SourceKind = iota + 1
	SourceCloud
	SourceDefaults
	SourceBuiltIn
	SourceDerived
)

// String returns the kind's lower-case name.
func (k SourceKind) String() string {
	switch k {
	case SourceService:
		return "service"
	case SourceCloud:
		return "cloud"
	case SourceDefaults:
		return "defaults"
	case SourceBuiltIn:
		return "built-in"
	case SourceDerived:
		return "derived"
	}
	return "SourceKind(" + strconv.Itoa(int(k)) + ")"
}

// Source is where a value was written.
type Source struct {
	Kind SourceKind
	// File, Section and Line locate the key; empty for built-in values.
	// File is absolute.
	File    string
	Section string
	Line    int
	// Env is NAME when the written value was env.NAME.
	Env string
}

// String renders the source as "file:[section]:line", "built-in",
// "derived" or "env.NAME via file:[section]:line".
func (s Source) String() string { return s.format(func(p string) string { return p }) }

func (s Source) format(rel func(string) string) string {
	if s.File == "" {
		return s.Kind.String()
	}
	// Built without fmt: Record formats the source of every service's
	// own section, 10,000 of them for 10,000 services, on the serial path
	// before the boot.
	f := rel(s.File)
	var b strings.Builder
	b.Grow(len("env. via :[]:") + len(s.Env) + len(f) + len(s.Section) + 20)
	if s.Env != "" {
		b.WriteString("env.")
		b.WriteString(s.Env)
		b.WriteString(" via ")
	}
	b.WriteString(f)
	b.WriteString(":[")
	b.WriteString(s.Section)
	b.WriteString("]:")
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], int64(s.Line), 10))
	return b.String()
}

// Attr is one row of a service's deps bag, as written (after env.NAME
// substitution; ${} references intact).
type Attr struct {
	Key   string
	Value string
	// File is the absolute path of the deps file; Line the key's line.
	File string
	Line int
	// Env is NAME when the written value was env.NAME.
	Env string
}

// Global is one global variable after merging the three ranks.
type Global struct {
	Name  string
	Value string
	// Rank is 1 for [globals] of the top file, 2 for a -G file and 3 for
	// a -g KEY=VALUE; the highest rank wins.
	Rank int
	// Source is "file:[globals]:line" or "-g".
	Source string
}
