package local

import (
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// EnvExe, when set (read through iaas.Config.Env), names the executable the
// factory re-executes instead of os.Executable().
const EnvExe = "CLOUDINITD_LOCAL_EXE"

// Factory builds the driver for the registry: its state lives in
// <cfg.StateDir>/local (default ~/.cloudinitd/local).
//
//	reg.Register(local.Entry())
func Factory(cfg iaas.Config) (iaas.Driver, error) {
	c := Config{Logger: cfg.Log()}
	if cfg.StateDir != "" {
		c.StateDir = filepath.Join(cfg.StateDir, Name)
	}
	if exe, ok := cfg.Env(EnvExe); ok {
		c.Exe = exe
	}
	return New(c)
}

var _ iaas.Factory = Factory

// Entry is the driver's registry entry (generic wrappers).
func Entry() iaas.Entry { return iaas.Entry{Name: Name, Factory: Factory} }
