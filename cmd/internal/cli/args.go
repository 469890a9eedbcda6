package cli

import "strings"

// FlagSpec tells Permute which flags exist and which of them take a value.
type FlagSpec map[string]bool // flag name without dashes -> takes a value

// Permute moves every flag (with its value) in args ahead of the
// positional arguments, keeping both groups in order, so that options are
// accepted anywhere on the line as cloudinit.d's optparse did:
// "boot plans/top.conf -n myrun -v" becomes "-n myrun -v boot plans/top.conf".
// Everything after "--" stays positional. When a help flag is present, args
// are returned unchanged so that help for a subcommand still works.
func Permute(args []string, spec FlagSpec) []string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" {
			return args
		}
	}
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--") && len(a) > 2:
			flags = append(flags, a)
			name := strings.TrimPrefix(a, "--")
			if !strings.Contains(name, "=") && spec[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			// "-n" followed by its value; "-nrun" carries it; "-vvv" takes none.
			if len(a) == 2 && spec[a[1:]] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}
