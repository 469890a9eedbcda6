package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/pkg/sftp"
)

// ErrWorkDir is wrapped by Prepare's error for a working or stage
// directory that someone else could tamper with: a symbolic link, not a
// directory, owned by another user (root excepted for a sticky or
// non-world-writable working directory), or a mode that cannot be set.
var ErrWorkDir = errors.New("unsafe working directory")

// The working directory (path.Dir of a stage directory) is shared: created
// by Prepare it gets mode 1777, like /tmp, so that every user can make a
// stage directory there and none can remove another's. An existing one is
// used as it is (its mode unchanged) when it is the user's own, or root's
// and sticky or not writable by others. The stage directory is private:
// mode 0700 and the user's own.
const (
	workDirMode  = fs.ModeSticky | 0o777
	stageDirMode = 0o700
)

// exitUnsafe is the status with which prepareScript refuses a directory.
const exitUnsafe = 65

// stageMade is the line prepareScript prints on stdout when it made the
// stage directory itself: `mkdir -m 700` gives a new directory exactly
// that mode (the umask does not apply to -m), so it needs no chmod.
// stageAbsent is the line it prints with $3 = sftp when the stage
// directory does not exist: the caller makes it over SFTP.
const (
	stageMade   = "cloudinitd-stage-made"
	stageAbsent = "cloudinitd-stage-absent"
)

// prepareScript is Prepare in a POSIX shell: $1 is the working directory,
// $2 the stage directory; with $3 = chmod it also sets the stage
// directory's mode 0700 (else the caller does, over SFTP); with $3 = sftp
// it does not make a missing stage directory but says so (stageAbsent),
// once the working directory is known safe. A refusal
// returns exitUnsafe with the reason on stderr. It defines and calls a
// function, so that a persistent shell can run it itself, without a
// subshell (see inShellCommand): it never exits or changes the shell's
// directory, umask or options, and leaves only its two functions and its
// cloudinitd_* variables behind. Where both directories exist and are the
// user's it runs on the shell's builtins alone (test, printf): every
// process it would start, even a subshell, costs the host a fork (see
// SSH.Prepare). mkdir and chmod run only when something is to be made.
const prepareScript = `cloudinitd_refuse() { printf '%s\n' "$*" >&2; return 65; }
cloudinitd_prepare() {
  cloudinitd_w=$1 cloudinitd_s=$2
  if [ ! -e "$cloudinitd_w" ] && [ ! -L "$cloudinitd_w" ]; then
    cloudinitd_p=${cloudinitd_w%/*}
    [ "$cloudinitd_p" = "$cloudinitd_w" ] && cloudinitd_p=.
    [ -n "$cloudinitd_p" ] || cloudinitd_p=/
    [ -d "$cloudinitd_p" ] || (umask 077 && mkdir -p -- "$cloudinitd_p") || return 1
    if mkdir -m 700 -- "$cloudinitd_w" 2>/dev/null; then
      chmod 1777 -- "$cloudinitd_w" || { cloudinitd_refuse "cannot set mode 1777 on the working directory $cloudinitd_w"; return; }
    fi
  fi
  [ -L "$cloudinitd_w" ] && { cloudinitd_refuse "the working directory $cloudinitd_w is a symbolic link"; return; }
  [ -d "$cloudinitd_w" ] || { cloudinitd_refuse "the working directory $cloudinitd_w is not a directory"; return; }
  if [ ! -O "$cloudinitd_w" ]; then
    cloudinitd_o=$(ls -ldn -- "$cloudinitd_w" | awk '{print $3}')
    [ "$cloudinitd_o" = 0 ] || { cloudinitd_refuse "the working directory $cloudinitd_w belongs to another user (uid $cloudinitd_o)"; return; }
    [ -k "$cloudinitd_w" ] || [ -z "$(find "$cloudinitd_w" -prune -perm -0002)" ] ||
      { cloudinitd_refuse "the working directory $cloudinitd_w is root's and writable by everyone without the sticky bit"; return; }
  fi
  cloudinitd_m=
  if [ "$3" = sftp ] && [ ! -e "$cloudinitd_s" ] && [ ! -L "$cloudinitd_s" ]; then
    printf '%s\n' ` + stageAbsent + `
    return 0
  fi
  [ -e "$cloudinitd_s" ] || [ -L "$cloudinitd_s" ] || { mkdir -m 700 -- "$cloudinitd_s" 2>/dev/null && cloudinitd_m=1; }
  [ -L "$cloudinitd_s" ] && { cloudinitd_refuse "the stage directory $cloudinitd_s is a symbolic link"; return; }
  [ -d "$cloudinitd_s" ] || { cloudinitd_refuse "the stage directory $cloudinitd_s is not a directory"; return; }
  [ -O "$cloudinitd_s" ] ||
    { cloudinitd_refuse "the stage directory $cloudinitd_s belongs to another user (uid $(ls -ldn -- "$cloudinitd_s" | awk '{print $3}'))"; return; }
  if [ "$3" = chmod ]; then
    chmod 700 -- "$cloudinitd_s" || { cloudinitd_refuse "cannot set mode 0700 on the stage directory $cloudinitd_s"; return; }
  fi
  [ -z "$cloudinitd_m" ] || printf '%s\n' ` + stageMade + `
}
cloudinitd_prepare "$@"`

// prepareShell runs prepareScript through ex (in the persistent shell
// itself over SSH: Cmd.inline) with mode as its $3: "chmod" has it set
// the stage directory's mode too, "sftp" leaves a missing one to the
// caller. It returns the script's word about the stage directory:
// stageMade (made by the script, mode 0700 already), stageAbsent, or ""
// (it was there).
func prepareShell(ctx context.Context, ex Executor, stageDir, mode string) (said string, err error) {
	argv := []string{"/bin/sh", "-c", prepareScript, "sh", path.Dir(stageDir), stageDir}
	if mode != "" {
		argv = append(argv, mode)
	}
	res, err := ex.Run(ctx, Cmd{Argv: argv, inline: true})
	var xe *ExitError
	if errors.As(err, &xe) && xe.Status == exitUnsafe && len(res.Tail) > 0 {
		return "", fmt.Errorf("%w: %s", ErrWorkDir, res.Tail[len(res.Tail)-1])
	}
	if err != nil {
		return "", err
	}
	for _, w := range []string{stageMade, stageAbsent} {
		if slices.Contains(res.Tail, w) {
			return w, nil
		}
	}
	return "", nil
}

// sftpMakeStage makes the stage directory dir over SFTP, in a working
// directory the shell has found safe, and gives it mode 0700. The mkdir
// request carries no mode (the client sends none), so the server makes
// it 0777 less its umask: if that let others write, it must be empty
// once it is 0700, or someone else put something there meanwhile and it
// is refused. made is false, with no error, when the server would not
// make it (it exists now, say): the caller then leaves it to the shell.
func sftpMakeStage(sc *sftp.Client, dir string) (made bool, err error) {
	if err := sc.Mkdir(dir); err != nil {
		if fileError(err) {
			return false, nil
		}
		return false, err
	}
	fi, err := sc.Lstat(dir)
	if err != nil {
		return false, err
	}
	if fi.Mode().Perm() != stageDirMode {
		if err := sc.Chmod(dir, stageDirMode); err != nil {
			if fileError(err) {
				err = fmt.Errorf("%w: cannot set mode 0700 on the stage directory %s: %w", ErrWorkDir, dir, err)
			}
			return false, err
		}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		entries, err := sc.ReadDir(dir)
		if err != nil {
			return false, err
		}
		if len(entries) > 0 {
			return false, fmt.Errorf("%w: the stage directory %s, made with mode %v, was written to by someone else before it was 0700",
				ErrWorkDir, dir, fi.Mode().Perm())
		}
	}
	return true, nil
}

// prepareLocal is Prepare on this machine (see prepareScript).
func prepareLocal(stageDir string) error {
	wd := filepath.Dir(stageDir)
	if err := os.MkdirAll(filepath.Dir(wd), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(wd, 0o700); err == nil {
		if err := os.Chmod(wd, workDirMode); err != nil {
			return fmt.Errorf("%w: cannot set mode 1777 on the working directory %s: %w", ErrWorkDir, wd, err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := checkDir(wd, "working", true); err != nil {
		return err
	}
	if err := os.Mkdir(stageDir, stageDirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := checkDir(stageDir, "stage", false); err != nil {
		return err
	}
	if err := os.Chmod(stageDir, stageDirMode); err != nil {
		return fmt.Errorf("%w: cannot set mode 0700 on the stage directory %s: %w", ErrWorkDir, stageDir, err)
	}
	return nil
}

// checkDir refuses dir unless it is a real directory of this user; a
// working directory (shared) may also be root's when it is sticky or not
// writable by others.
func checkDir(dir, what string, shared bool) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: the %s directory %s is a symbolic link", ErrWorkDir, what, dir)
	case !fi.IsDir():
		return fmt.Errorf("%w: the %s directory %s is not a directory", ErrWorkDir, what, dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	if shared && st.Uid == 0 && (fi.Mode()&fs.ModeSticky != 0 || fi.Mode().Perm()&0o002 == 0) {
		return nil
	}
	if shared && st.Uid == 0 {
		return fmt.Errorf("%w: the working directory %s is root's and writable by everyone without the sticky bit", ErrWorkDir, dir)
	}
	return fmt.Errorf("%w: the %s directory %s belongs to another user (uid %d)", ErrWorkDir, what, dir, st.Uid)
}
