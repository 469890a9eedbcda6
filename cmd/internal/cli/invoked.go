package cli

import (
	"io"
	"regexp"
)

// Name is the program's name in the messages of this package and of the
// commands ("cloudinitd: error: ...", "hint: 'cloudinitd list' shows ...").
const Name = "cloudinitd"

// commandWord is "cloudinitd" as a word of a message (a command line in a
// hint, a message's prefix), not part of a path ("~/.cloudinitd",
// "cloudinitd-RUN.db") or a variable (CLOUDINITD_RUN).
var commandWord = regexp.MustCompile(`(^|[\s'"(])` + Name + `([\s:'"),]|$)`)

// InvokedAs returns w showing the program's name as prog, the name it was
// invoked as (main passes the base name of os.Args[0]): the hints then say
// what to type. w itself when prog is the program's name or empty.
func InvokedAs(w io.Writer, prog string) io.Writer {
	if prog == "" || prog == Name {
		return w
	}
	return invoked{w: w, repl: "${1}" + prog + "${2}"}
}

type invoked struct {
	w    io.Writer
	repl string
}

func (i invoked) Write(p []byte) (int, error) {
	if _, err := i.w.Write(commandWord.ReplaceAll(p, []byte(i.repl))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the stream written to (IsTerminal looks through).
func (i invoked) Unwrap() io.Writer { return i.w }
