package local

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Environment variables of the re-exec convention.
const (
	// EnvInstance, set to an instance directory, makes [MaybeServe] run the
	// instance server from that directory.
	EnvInstance = "CLOUDINITD_LOCAL_INSTANCE"
	// EnvMarker is set to the instance id in the environment of the server
	// and of every command it runs; Terminate finds processes by it.
	EnvMarker = "CLOUDINITD_LOCAL_INSTANCE_ID"
	// envListenFD names the inherited descriptor of the bound listener.
	envListenFD = "CLOUDINITD_LOCAL_LISTEN_FD"
	// envReadyFD names the inherited write end of the pipe on which the
	// server tells its launcher it is ready.
	envReadyFD = "CLOUDINITD_LOCAL_READY_FD"
	// envProtocol carries the launcher's serverProtocol: a server of
	// another one (a stale [ServerProgram] beside a newer cloudinitd)
	// refuses to start, and the launch fails saying why.
	envProtocol = "CLOUDINITD_LOCAL_PROTOCOL"
)

// serverProtocol names this version of what a launcher and its server
// share: the variables and descriptors above and the files of an
// instance directory. Change it with any of them.
const serverProtocol = "1"

// Name is the registry name of this driver.
const Name = "local"

// ServerProgram is the name of the instance server's own executable
// (./cmd/cloudinitd-instance): [New] starts it, when it lies beside the
// running executable, instead of re-executing the running one. It is the
// same server, whose start costs a fraction of a whole cloudinitd's.
const ServerProgram = "cloudinitd-instance"

// serverExe returns the executable that serves instances for the running
// executable exe: ServerProgram in exe's directory when that is a regular
// file someone may execute, otherwise exe.
func serverExe(exe string) string {
	p := filepath.Join(filepath.Dir(exe), ServerProgram)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		return p
	}
	return exe
}

// Config configures a [Driver]. The zero value is usable.
type Config struct {
	// StateDir holds one directory per instance, the run keys and the
	// token index. Default: ~/.cloudinitd/local.
	StateDir string
	// Exe is the executable started as the instance server; it must call
	// [MaybeServe] first thing. Default: [ServerProgram] beside
	// os.Executable() when there is one, otherwise os.Executable() itself
	// (re-executed).
	Exe string
	// Logger receives diagnostics. Default: discard.
	Logger *slog.Logger
}

// Driver launches instances as local processes. It is safe for concurrent
// use, also by several processes sharing a state directory.
type Driver struct {
	stateDir string
	exe      string
	log      *slog.Logger
	user     string
	kids     children  // servers started here, not yet reaped (spawn.go)
	scans    procScans // scans of /proc shared by concurrent sweeps (scan.go)
	// lockc is the in-process half of the state lock (meta.go); addrs,
	// which usedAddresses keeps, and runKeys are guarded by it.
	lockc    chan struct{}
	addrs    map[string]addrEntry
	addrsDir dirIdentity // the state directory as addrs knows it (addr.go)
	runKeys  map[string]runKeyEntry
}

var (
	_ iaas.Driver         = (*Driver)(nil)
	_ iaas.RunFinder      = (*Driver)(nil)
	_ iaas.SSHKeyProvider = (*Driver)(nil)
)

// New returns a driver for cfg, creating the state directory if needed.
func New(cfg Config) (*Driver, error) {
	d := &Driver{stateDir: cfg.StateDir, exe: cfg.Exe, log: cfg.Logger, lockc: make(chan struct{}, 1)}
	if d.stateDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("local: state dir: %w", err)
		}
		d.stateDir = filepath.Join(home, ".cloudinitd", "local")
	}
	abs, err := filepath.Abs(d.stateDir)
	if err != nil {
		return nil, fmt.Errorf("local: state dir: %w", err)
	}
	d.stateDir = abs
	if d.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("local: executable: %w", err)
		}
		d.exe = serverExe(exe)
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("local: /proc is required: %w", errors.Join(iaas.ErrNotImplemented, err))
	}
	for _, sub := range []string{"", "keys", "tokens"} {
		if err := os.MkdirAll(filepath.Join(d.stateDir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("local: state dir: %w", err)
		}
	}
	d.user = currentUser()
	return d, nil
}

// Name returns "local".
func (d *Driver) Name() string { return Name }

// StateDir returns the driver's state directory.
func (d *Driver) StateDir() string { return d.stateDir }

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprint(os.Getuid())
}
