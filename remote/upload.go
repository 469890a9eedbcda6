package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"time"
)

// shellUpload is Upload through shell commands: `cat` into a temporary
// file, then, only when all of data was sent (its reader reached a clean
// end and the file has that many bytes), chmod and rename. One command
// cannot do it: when reading data fails (say its deadline passes),
// x/crypto/ssh still ends the program's input, `cat` succeeds, and a
// truncated file would be renamed into place. The temporary file is
// removed on failure.
func (s *SSH) shellUpload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error {
	tmp := path.Join(path.Dir(dst), "."+path.Base(dst)+".upload-"+randomHex())
	in := &countingReader{r: ctxReader{ctx, data}}
	_, err := s.Run(ctx, Cmd{Argv: []string{"/bin/sh", "-c", `umask 077; exec cat > "$1"`, "sh", tmp}, Stdin: in})
	switch {
	case err != nil:
	case in.err != nil:
		err = fmt.Errorf("read data: %w", in.err)
	case !in.eof:
		err = errors.New("data not read to its end")
	default:
		const install = `[ "$(($(wc -c < "$1")))" -eq "$4" ] && chmod "$3" "$1" && mv -f "$1" "$2"`
		_, err = s.Run(ctx, Cmd{Argv: []string{"/bin/sh", "-c", install, "sh",
			tmp, dst, fmt.Sprintf("%04o", mode.Perm()), strconv.FormatInt(in.n, 10)}})
	}
	if err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = s.Run(rctx, Cmd{Argv: []string{"rm", "-f", "--", tmp}})
		return err
	}
	return nil
}

// countingReader counts what it passes on and remembers how reading ended.
// It is read by the session's copier; Run returns only after that ends.
type countingReader struct {
	r   io.Reader
	n   int64
	eof bool
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		c.eof = true
	case err != nil:
		c.err = err
	}
	return n, err
}
