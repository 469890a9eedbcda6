package cli

import (
	"strings"

	urfave "github.com/urfave/cli/v2"
)

// FlagSpec tells Permute which flags exist and which of them take a value.
type FlagSpec map[string]bool // flag name without dashes -> takes a value

// FlagSpecOf is the FlagSpec of a program's flags: each of their names,
// taking a value unless the flag is a BoolFlag.
func FlagSpecOf(flags []urfave.Flag) FlagSpec {
	spec := FlagSpec{}
	for _, f := range flags {
		_, isBool := f.(*urfave.BoolFlag)
		for _, n := range f.Names() {
			spec[n] = !isBool
		}
	}
	return spec
}

// Permute moves every flag (with its value) in args ahead of the
// positional arguments, keeping both groups in order, so that options are
// accepted anywhere on the line as cloudinit.d's optparse did:
// "boot plans/top.conf -n myrun -v" becomes "-n myrun -v boot plans/top.conf".
// A group of short flags is split as optparse read it, one letter at a
// time until a letter that takes a value, which takes the rest of the group
// or, when that is empty, the next argument: "-vvnRUN" is "-v -v -n RUN",
// "-gK=V" is "-g K=V", "-l debug" and "-ldebug" are the same.
// Everything after "--" stays positional, and "--" stays too, so that a
// command can tell its arguments from a program's ('run PLAN -- COMMAND':
// the parser drops a "--" that comes before any positional argument).
func Permute(args []string, spec FlagSpec) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i:]...)
			i = len(args)
		case strings.HasPrefix(a, "--") && len(a) > 2:
			flags = append(flags, a)
			name := strings.TrimPrefix(a, "--")
			if !strings.Contains(name, "=") && spec[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			group, takesNext := splitShort(a[1:], spec)
			flags = append(flags, group...)
			if takesNext && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

// splitShort splits a group of short flags (without its dash) into one
// "-x" per flag; a flag that takes a value gets the rest of the group as a
// separate word, or takesNext when the group ends with it. A letter that is
// no flag is passed on alone ("-z") for the parser to refuse.
func splitShort(group string, spec FlagSpec) (out []string, takesNext bool) {
	for j, c := range group {
		name := string(c)
		out = append(out, "-"+name)
		if spec[name] {
			rest := group[j+len(name):]
			if rest == "" {
				return out, true
			}
			return append(out, rest), false
		}
	}
	return out, false
}
