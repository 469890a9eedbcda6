package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// INIFile is one plan file read with the INI dialect of Python 2's
// ConfigParser (not RawConfigParser).
type INIFile struct {
	Path string
	// Sections are the sections of the file in order of first appearance.
	// A repeated section header merges into the first one. The special
	// [DEFAULT] section is not listed here (as in Python's sections()).
	Sections []*INISection
	// Defaults is the [DEFAULT] section, nil if the file has none. Its keys
	// are also merged into every section of Sections.
	Defaults *INISection

	index map[string]*INISection // Sections by name, set by ParseINI
}

// INISection is one [name] section. Section names are case-sensitive.
type INISection struct {
	Name string
	Line int // line of the first header naming this section
	// Keys in Python's items() order: the [DEFAULT] keys first (in their
	// order), then the section's own keys in order of first appearance. The
	// value is that of the last assignment.
	Keys []*INIKey

	index map[string]*INIKey // Keys by name when there are many, set by ParseINI
}

// INIKey is one key of a section. Name is lower-cased (ASCII, as Python 2's
// str.lower). Value is trimmed, continuation lines joined with "\n", and
// %(name)s-interpolated.
type INIKey struct {
	Name  string
	Value string
	Line  int // line of the assignment that set Value
	// Warning is set when %(name)s interpolation failed; the key then counts
	// as unset (Python's getter swallows the error and returns the default),
	// Value is "" and Section.Key reports ok=false.
	Warning string
}

// Unset reports whether the key must be treated as absent because its
// interpolation failed.
func (k *INIKey) Unset() bool { return k.Warning != "" }

// Section returns the section called name (case-sensitive), nil if absent.
func (f *INIFile) Section(name string) *INISection {
	if f.index != nil {
		return f.index[name]
	}
	for _, s := range f.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Key returns the key called name; name must already be lower-case. ok is
// false when the key is absent or unset by an interpolation failure (then
// the key, with its Warning, is still returned).
func (s *INISection) Key(name string) (*INIKey, bool) {
	if s == nil {
		return nil, false
	}
	if s.index != nil {
		k := s.index[name]
		return k, k != nil && !k.Unset()
	}
	for _, k := range s.Keys {
		if k.Name == name {
			return k, !k.Unset()
		}
	}
	return nil, false
}

// ReadINI reads and parses the file at path. A missing file is an error
// wrapping fs.ErrNotExist; callers that want ConfigParser.read's silence
// check errors.Is(err, fs.ErrNotExist). A cancelled ctx stops the parse.
func ReadINI(ctx context.Context, path string) (*INIFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseINI(ctx, path, data)
}

// defaultSection is Python's DEFAULTSECT.
const defaultSection = "DEFAULT"

// checkEvery is how many lines ParseINI reads between two looks at its
// context.
const checkEvery = 4096

// ParseINI parses data as the content of the file path. Every line that is
// neither blank, comment, section header, key line nor continuation is
// reported, each as "<path>: line N: ...", joined into one error. A
// cancelled ctx stops it with ctx's error.
//
// Why the line grammar is ours and not ini.Load's: ini.v1's reader, even
// with KeyValueDelimiters "=:", AllowPythonMultilineValues,
// IgnoreInlineComment, IgnoreContinuation and PreserveSurroundedQuote,
// differs from ConfigParser on points plans rely on or that would silently
// change values (each pinned by TestINIv1Divergence):
//   - continuation lines keep their indentation, and a blank line or a
//     column-0 comment ends the value (ConfigParser strips each line and
//     skips blank and comment lines inside a value);
//   - values starting with ` or """ are quoted multi-line strings, keys
//     starting with " or ` are quoted, the key "-" is an auto-increment;
//   - key lines before any section land in DEFAULT (ConfigParser: error),
//     an indented key line after a header is accepted (ConfigParser: error),
//     "[a = b" is an unclosed section (ConfigParser: key "[a");
//   - no "rem" comment lines, no `""` -> empty value;
//   - it gives no line numbers, which our errors must cite.
//
// Nor does ini.v1 hold the document any more: its File.NewSection and
// Section.NewKey look a name up by scanning every name already there, so
// a file with n sections (or a section with n keys) cost n²/2 string
// compares (100,000 keys of one [deps] section: 22 s). The document is
// built here with ConfigParser's OrderedDict behaviour: a repeated
// section merges into the first, a repeated key keeps its first position
// and takes the last value. [DEFAULT] inheritance and %(name)s
// interpolation are ConfigParser's too. Everything is linear in the size
// of the file (and of [DEFAULT] times the number of sections).
func ParseINI(ctx context.Context, path string, data []byte) (*INIFile, error) {
	var (
		doc    rawDoc
		errs   []error
		cur    *rawSection
		curKey *rawKey
	)
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM (Python 2 would choke on it)
	for n, rest := 1, string(data); rest != ""; n++ {
		line, next, _ := strings.Cut(rest, "\n")
		rest = next
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if pyStrip(line) == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if (line[0] == 'r' || line[0] == 'R') && strings.EqualFold(firstField(line), "rem") {
			continue // ConfigParser's "rem" comment lines
		}
		if pySpace(line[0]) && cur != nil && curKey != nil {
			if v := pyStrip(line); v != "" {
				curKey.more = append(curKey.more, v)
			}
			continue
		}
		if name, ok := sectionHeader(line); ok {
			cur, curKey = doc.section(name, n), nil
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s: line %d: no section header before %q", path, n, strings.TrimRight(line, "\r"))
		}
		name, value, ok := parseKeyLine(line)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: line %d: not a section header or key line: %q", path, n, strings.TrimRight(line, "\r")))
			continue
		}
		curKey = cur.set(name, value, n)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc.build(path), nil
}

// sectionHeader matches ConfigParser's SECTCRE `\[(?P<header>[^]]+)\]` at
// the start of the line; anything after the first ']' is ignored.
func sectionHeader(line string) (string, bool) {
	if len(line) < 3 || line[0] != '[' {
		return "", false
	}
	j := strings.IndexByte(line, ']')
	if j < 2 {
		return "", false
	}
	return line[1:j], true
}

// parseKeyLine matches ConfigParser's OPTCRE
// `(?P<option>[^:=\s][^:=]*)\s*(?P<vi>[:=])\s*(?P<value>.*)$` and applies
// its value clean-up: an inline comment is cut only at the FIRST ';' and
// only if the character before it is whitespace (for a ';' at position 0
// Python's optval[pos-1] looks at the last character — reproduced), then
// the value is stripped and `""` becomes empty.
func parseKeyLine(line string) (name, value string, ok bool) {
	if line == "" || pySpace(line[0]) || line[0] == ':' || line[0] == '=' {
		return "", "", false
	}
	i := strings.IndexAny(line, ":=")
	if i < 0 {
		return "", "", false
	}
	name = asciiLower(strings.TrimRight(line[:i], " \t\n\r\v\f"))
	value = strings.TrimLeft(line[i+1:], " \t\n\r\v\f")
	if pos := strings.IndexByte(value, ';'); pos >= 0 {
		prev := len(value) - 1
		if pos > 0 {
			prev = pos - 1
		}
		if pySpace(value[prev]) {
			value = value[:pos]
		}
	}
	value = pyStrip(value)
	if value == `""` {
		value = ""
	}
	return name, value, true
}

// pySpace is Python 2's str.isspace for one byte.
func pySpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// pyStrip is Python 2's str.strip() (ASCII whitespace only).
func pyStrip(s string) string { return strings.Trim(s, " \t\n\r\v\f") }

// firstField is Python's line.split(None, 1)[0].
func firstField(line string) string {
	f := strings.FieldsFunc(line, func(r rune) bool { return r < 0x80 && pySpace(byte(r)) })
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// asciiLower is Python 2's str.lower() on a byte string: only A-Z change.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
