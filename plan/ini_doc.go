package plan

import (
	"fmt"
	"strings"
)

// rawDoc is a file's sections as read, before [DEFAULT] is merged and
// values interpolated: ConfigParser's OrderedDict of OrderedDicts.
type rawDoc struct {
	sections []*rawSection
	index    map[string]*rawSection
}

type rawSection struct {
	name  string
	line  int // of the first header naming it
	keys  []*rawKey
	index map[string]*rawKey // once there are more than scanMax keys
}

// scanMax is how many names are looked up by a scan rather than a map: a
// map for every small section costs more than it saves.
const scanMax = 8

type rawKey struct {
	name, value string
	more        []string // continuation lines, stripped
	line        int      // of the assignment that set value
}

// text is the key's value with its continuation lines.
func (k *rawKey) text() string {
	if len(k.more) == 0 {
		return k.value
	}
	return k.value + "\n" + strings.Join(k.more, "\n")
}

// section returns the section called name, adding it (first seen at line)
// if it is new: a repeated header merges into the first.
func (d *rawDoc) section(name string, line int) *rawSection {
	if s, ok := d.index[name]; ok {
		return s
	}
	if d.index == nil {
		d.index = map[string]*rawSection{}
	}
	s := &rawSection{name: name, line: line}
	d.sections = append(d.sections, s)
	d.index[name] = s
	return s
}

// set assigns name = value at line: a repeated key keeps its place and
// takes the new value (and loses the old continuation lines).
func (s *rawSection) set(name, value string, line int) *rawKey {
	if k := s.key(name); k != nil {
		k.value, k.more, k.line = value, nil, line
		return k
	}
	k := &rawKey{name: name, value: value, line: line}
	s.keys = append(s.keys, k)
	switch {
	case s.index != nil:
		s.index[name] = k
	case len(s.keys) > scanMax:
		s.index = make(map[string]*rawKey, 2*len(s.keys))
		for _, k := range s.keys {
			s.index[k.name] = k
		}
	}
	return k
}

func (s *rawSection) key(name string) *rawKey {
	if s.index != nil {
		return s.index[name]
	}
	for _, k := range s.keys {
		if k.name == name {
			return k
		}
	}
	return nil
}

// build merges [DEFAULT] into every section and interpolates.
func (d *rawDoc) build(path string) *INIFile {
	f := &INIFile{Path: path, index: make(map[string]*INISection, len(d.sections))}
	var defaults []*rawKey
	if ds, ok := d.index[defaultSection]; ok {
		defaults = ds.keys
		f.Defaults = interpolateSection(ds.name, ds.line, defaults, nil)
	}
	for _, s := range d.sections {
		if s.name == defaultSection {
			continue
		}
		is := interpolateSection(s.name, s.line, defaults, s.keys)
		f.Sections = append(f.Sections, is)
		f.index[is.Name] = is
	}
	return f
}

// interpolateSection merges defaults and own keys in Python's items() order
// (the [DEFAULT] keys first, a section's own value replacing a default in
// its place, then the section's other keys) and interpolates every value
// against that merged view.
func interpolateSection(name string, line int, defaults, own []*rawKey) *INISection {
	merged := own
	if len(defaults) > 0 {
		merged = make([]*rawKey, 0, len(defaults)+len(own))
		pos := make(map[string]int, len(defaults))
		for _, k := range defaults {
			pos[k.name] = len(merged)
			merged = append(merged, k)
		}
		for _, k := range own {
			if i, ok := pos[k.name]; ok {
				merged[i] = k
				continue
			}
			merged = append(merged, k)
		}
	}
	texts := make([]string, len(merged))
	interpolate := false
	for i, k := range merged {
		texts[i] = k.text()
		interpolate = interpolate || strings.Contains(texts[i], "%(")
	}
	var vars map[string]string
	if interpolate {
		vars = make(map[string]string, len(merged)+1)
		vars["__name__"] = name
		for i, k := range merged {
			vars[k.name] = texts[i]
		}
	}
	s := &INISection{Name: name, Line: line}
	if len(merged) > 0 {
		s.Keys = make([]*INIKey, len(merged))
	}
	if len(merged) > scanMax {
		s.index = make(map[string]*INIKey, len(merged))
	}
	for i, k := range merged {
		key := &INIKey{Name: k.name, Value: texts[i], Line: k.line}
		if v, err := pyInterpolate(texts[i], vars); err != nil {
			key.Value, key.Warning = "", fmt.Sprintf("[%s] %s: %v", name, k.name, err)
		} else {
			key.Value = v
		}
		s.Keys[i] = key
		if s.index != nil {
			s.index[k.name] = key
		}
	}
	return s
}
