package plan

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Built-in defaults.
const (
	defaultPgmTimeout = 1200
	defaultSSHPort    = 22
)

// loadServices adds the services of every [svc-*] section of the level
// file lf to lv.
func (l *loader) loadServices(ctx context.Context, lv *Level, lf *INIFile) {
	for _, s := range lf.Sections {
		if ctx.Err() != nil {
			return
		}
		name, ok := strings.CutPrefix(s.Name, "svc-")
		if !ok {
			switch {
			case s.Name == "runlevels", s.Name == "defaults", s.Name == "globals", strings.HasPrefix(s.Name, "cloud-"):
				// a level file that is also the top file
			default:
				l.ps.warnf(lf.Path, s.Name, "", s.Line, "section ignored: service sections are named [svc-NAME]")
			}
			continue
		}
		if name == "" {
			l.ps.errorf(lf.Path, s.Name, "", s.Line, "empty service name")
			continue
		}
		if strings.Contains(name, ".") || strings.Contains(name, "}") || name == "global" {
			l.ps.warnf(lf.Path, s.Name, "", s.Line, "other services cannot refer to %q with ${%s.attr}", name, name)
		}
		l.checkKeys(lf, s, inService)
		proto := &Service{Name: name, Base: name, Replica: -1, Level: lv.Number, File: lf.Path, Section: s.Name, Line: s.Line}
		proto.Settings = l.settings(lf, s)
		proto.Deps = l.loadDeps(ctx, proto.Settings)
		l.checkProgramInputs(proto)
		l.checkSecrets(proto)
		n := l.replicas(lf.Path, s, proto.Settings)
		if n <= 1 {
			lv.Services = append(lv.Services, proto)
			continue
		}
		for i := range n {
			r := *proto
			r.Name, r.Replica = fmt.Sprintf("%s-%d", name, i), i
			r.Settings = slices.Clone(proto.Settings)
			r.Deps = slices.Clone(proto.Deps)
			lv.Services = append(lv.Services, &r)
		}
	}
}

// envValue applies whole-value env.NAME substitution to k. ok is false
// when the key is unset: absent, interpolation failed or env variable unset
// (warned). The value may be empty.
func (l *loader) envValue(file, section string, k *INIKey) (value, env string, ok bool) {
	if k == nil || k.Unset() {
		return "", "", false
	}
	value = k.Value
	if name, isEnv := strings.CutPrefix(value, "env."); isEnv {
		v, set := l.cache.lookupEnv(name)
		if !set && IsCredential(k.Name) {
			// Unset would mean the driver's default chain: another account.
			l.ps.errorf(file, section, k.Name, k.Line, "environment variable %s is not set: export it, "+
				"or remove %s to use the driver's default credential chain", name, k.Name)
			return "", name, false
		}
		if !set {
			l.ps.warnf(file, section, k.Name, k.Line, "environment variable %s is not set; the key counts as unset", name)
			return "", name, false
		}
		value, env = v, name
	}
	return value, env, true
}

// settings resolves every key of service section s of level file lf with
// the precedence service > selected [cloud-*] > [defaults] > built-in.
//
// The settings are gathered in the loader's scratch map and copied into a
// slice of their exact number, sorted by key (Settings): 96 bytes a
// setting, where a map of the usual 9 to 16 held 16 slots of 112 bytes
// (1.8 KiB) besides its table and directory, per service.
func (l *loader) settings(lf *INIFile, s *INISection) Settings {
	set := l.scratch
	if set == nil {
		set = make(map[string]Setting, 16)
		l.scratch = set
	}
	defer clear(set)
	pick := func(key string, kind SourceKind, f *INIFile, sec *INISection) bool {
		k, _ := sec.Key(key)
		name := sec.Name
		if k != nil && inherited(f, k) {
			name = defaultSection
		}
		v, env, ok := l.envValue(f.Path, name, k)
		if !ok || v == "" {
			return false
		}
		if key == "iaas_launch" || key == "local_exe" {
			v = boolString(strings.EqualFold(v, "true"))
		}
		set[key] = Setting{Key: key, Value: v, Source: Source{Kind: kind, File: f.Path, Section: name, Line: k.Line, Env: env}}
		return true
	}
	var cloud *INISection
	if pick("cloud", SourceService, lf, s) {
		c := set["cloud"]
		cloud = l.clouds[c.Value]
		if cloud == nil {
			l.ps.errorf(lf.Path, s.Name, "cloud", c.Source.Line, "%s", l.unknownCloud(c.Value))
		}
	}
	resolve := func(key string) {
		info, _ := lookupKey(key)
		switch {
		case pick(key, SourceService, lf, s):
		case cloud != nil && info.where&inCloud != 0 && pick(key, SourceCloud, l.defFile, cloud):
		case l.defaults != nil && info.where&inDefaults != 0 && pick(key, SourceDefaults, l.defFile, l.defaults):
		default:
			return
		}
		if info.path {
			l.resolvePath(lf.Path, set, key)
		}
	}
	for _, key := range knownKeyNames {
		if key != "cloud" {
			resolve(key)
		}
	}
	for _, k := range s.Keys {
		if isDepsKey(k.Name) {
			resolve(k.Name)
		}
	}
	l.builtIns(lf.Path, s, set)
	out := make(Settings, 0, len(set))
	for _, st := range set {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Setting) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// unknownCloud explains a cloud: value naming no [cloud-*] section.
func (l *loader) unknownCloud(name string) string {
	msg := fmt.Sprintf("no [%s] section in the top file", name)
	if _, ok := l.clouds["cloud-"+name]; ok {
		return msg + fmt.Sprintf("; the value is the full section name: did you mean %q?", "cloud-"+name)
	}
	if len(l.clouds) > 0 {
		return msg + "; clouds: " + strings.Join(slices.Sorted(maps.Keys(l.clouds)), ", ")
	}
	return msg
}

// resolvePath makes set[key] absolute against the directory of the level
// file levelFile (~ expanded) and checks that the file exists.
func (l *loader) resolvePath(levelFile string, set map[string]Setting, key string) {
	st := set[key]
	p := st.Value
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := l.cache.homeDir()
		if err != nil {
			l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line, "cannot expand ~: %v", err)
			return
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(levelFile), p)
	}
	p = filepath.Clean(p)
	st.Value = p
	set[key] = st
	if l.stat(p) != nil {
		msg := fmt.Sprintf("file does not exist: %s", l.ps.rel(p))
		if st.Source.File != levelFile {
			msg += fmt.Sprintf(" (relative to %s, the level file of the service)", l.ps.rel(filepath.Dir(levelFile))+string(filepath.Separator))
		}
		l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line, "%s", msg)
	}
}

// builtIns checks the typed keys and adds built-in and derived values.
func (l *loader) builtIns(file string, s *INISection, set map[string]Setting) {
	bad := func(key, format string, args ...any) {
		st := set[key]
		l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line, format, args...)
	}
	builtIn := func(key, v string) {
		if _, ok := set[key]; !ok {
			set[key] = Setting{Key: key, Value: v, Source: Source{Kind: SourceBuiltIn}}
		}
	}
	if st, ok := set["pgm_timeout"]; ok {
		if n, err := strconv.Atoi(st.Value); err != nil || n <= 0 {
			bad("pgm_timeout", "pgm_timeout must be a positive whole number of seconds, not %q", st.Value)
		}
	}
	if st, ok := set["ssh_port"]; ok {
		if n, err := strconv.Atoi(st.Value); err != nil || n <= 0 || n > 65535 {
			bad("ssh_port", "ssh_port must be a port number (1-65535), not %q", st.Value)
		}
	}
	builtIn("pgm_timeout", strconv.Itoa(defaultPgmTimeout))
	builtIn("ssh_port", strconv.Itoa(defaultSSHPort))
	builtIn("local_exe", "false")
	_, hasHost := set["hostname"]
	if _, ok := set["iaas_launch"]; !ok {
		set["iaas_launch"] = Setting{Key: "iaas_launch", Value: strconv.FormatBool(!hasHost), Source: Source{Kind: SourceDerived}}
	}
	launch := strings.EqualFold(set["iaas_launch"].Value, "true")
	img, hasImage := set["image"]
	if !launch && hasImage {
		delete(set, "image")
		hasImage = false
		if img.Source.Kind == SourceService {
			l.ps.warnf(img.Source.File, img.Source.Section, "image", img.Source.Line, "image ignored: iaas_launch is not true")
		}
	}
	switch {
	case launch && !hasImage && set["iaas_launch"].Source.Kind == SourceService:
		bad("iaas_launch", "iaas_launch is true but no image is set")
	case !hasImage && !hasHost:
		l.ps.errorf(file, s.Name, "", s.Line, "service has neither image nor hostname: there is nothing to run it on")
	}
}

// replicas returns the replica_count of the service, 1 when absent, 0 or 1.
func (l *loader) replicas(file string, s *INISection, set Settings) int {
	st, ok := set.Get("replica_count")
	if !ok {
		return 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(st.Value))
	switch {
	case err != nil:
		l.ps.errorf(st.Source.File, st.Source.Section, "replica_count", st.Source.Line, "replica_count must be a whole number, not %q", st.Value)
		return 1
	case n < 0:
		l.ps.errorf(st.Source.File, st.Source.Section, "replica_count", st.Source.Line, "replica_count must not be negative")
		return 1
	}
	return n
}
