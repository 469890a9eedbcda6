package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// Program is a local program file to run in a stage directory by the
// original's convention.
type Program struct {
	// Path is the local program file: an executable, or a NAME.tar.gz
	// tarball that expands to NAME/run.sh.
	Path string
	// StageDir is the host's stage directory (see StageDir); it must exist
	// (see Executor.Prepare).
	StageDir string
	// Args are delivered to the program as exactly these words.
	Args []string
	// Env, Stdout, Stderr and ForwardAgent are passed on to Cmd.
	Env            map[string]string
	Stdout, Stderr io.Writer
	ForwardAgent   bool
	// Files reads Path (nil: opened and read at every run).
	Files *Files
}

// ErrBadTarball is wrapped by the errors of a tarball program that does not
// follow the NAME.tar.gz -> NAME/run.sh convention.
var ErrBadTarball = errors.New("bad program tarball")

// TarballBase returns the text before the last ".tar.gz" in name and true,
// or "" and false when name does not contain ".tar.gz" (".tgz" is not
// recognised, as in the original).
func TarballBase(name string) (string, bool) {
	i := strings.LastIndex(name, ".tar.gz")
	if i < 0 {
		return "", false
	}
	return name[:i], true
}

// RunProgram uploads p.Path to <stage>/<basename> with mode 0755 and runs it
// with the stage directory as working directory. A file whose name contains
// ".tar.gz" is unpacked in the stage directory instead; it must expand to
// <stage>/<base>/run.sh, which is made executable and run. The same steps
// run over SSH and locally.
func RunProgram(ctx context.Context, ex Executor, p Program) (Result, error) {
	name := filepath.Base(p.Path)
	content, closeFile, err := p.Files.open(p.Path)
	if err != nil {
		return Result{ExitStatus: -1}, fmt.Errorf("program: %w", err)
	}
	defer closeFile()
	dst := path.Join(p.StageDir, name)
	if err := ex.Upload(ctx, dst, content, 0o755); err != nil {
		return Result{ExitStatus: -1}, fmt.Errorf("program: %w", err)
	}
	argv := append([]string{dst}, p.Args...)
	if base, ok := TarballBase(name); ok {
		runSh, err := unpack(ctx, ex, p.StageDir, dst, base)
		if err != nil {
			return Result{ExitStatus: -1}, fmt.Errorf("program %s: %w", name, err)
		}
		argv = append([]string{runSh}, p.Args...)
	}
	return ex.Run(ctx, Cmd{
		Argv: argv, Dir: p.StageDir, Env: p.Env,
		Stdout: p.Stdout, Stderr: p.Stderr, ForwardAgent: p.ForwardAgent,
	})
}

// unpack expands tarball in stage and checks the convention; it returns the
// path of run.sh.
func unpack(ctx context.Context, ex Executor, stage, tarball, base string) (string, error) {
	if _, err := ex.Run(ctx, Cmd{Argv: []string{"tar", "-xzf", tarball}, Dir: stage}); err != nil {
		return "", fmt.Errorf("unpack: %w", err)
	}
	dir := path.Join(stage, base)
	runSh := path.Join(dir, "run.sh")
	if ok, err := test(ctx, ex, "-d", dir); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%w: the tarball does not expand to a directory of the same name: %s", ErrBadTarball, dir)
	}
	if ok, err := test(ctx, ex, "-f", runSh); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%w: the tarball does not contain run.sh: %s", ErrBadTarball, runSh)
	}
	if _, err := ex.Run(ctx, Cmd{Argv: []string{"chmod", "+x", runSh}}); err != nil {
		return "", fmt.Errorf("chmod run.sh: %w", err)
	}
	return runSh, nil
}

// test runs `test flag p` and reports whether it holds.
func test(ctx context.Context, ex Executor, flag, p string) (bool, error) {
	_, err := ex.Run(ctx, Cmd{Argv: []string{"test", flag, p}})
	var xe *ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &xe) && xe.Status == 1:
		return false, nil
	default:
		return false, fmt.Errorf("test %s %s: %w", flag, p, err)
	}
}
