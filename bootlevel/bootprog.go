package bootlevel

import (
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// program builds the remote.Program of the kind's program key (bootpgm,
// readypgm, terminatepgm) with its expanded arguments (pipeline.Program).
func (e *run) program(r *Resolver, s store.Service, key, stage string, log *serviceLog) (remote.Program, error) {
	svc := pipeline.Service{Name: s.Name, Settings: s, Attrs: e.attrs(r, s.Name), Log: log}
	p, err := pipeline.Program(svc, key, stage, e.programEnv())
	p.Files = e.files
	return p, err
}

// Environment variables every program of a service gets.
const (
	// EnvCommand is the command running the program (CommandBoot, ...).
	EnvCommand = "CLOUDINITD_COMMAND"
	// EnvExe is the absolute path of the running cloudinitd program.
	EnvExe = "CLOUDINITD_EXE"
)

// programEnv is the environment the command's programs get (on SSH hosts
// exported by the command line remote builds, see remote.Cmd.Env): one
// map for every program of the command, which nothing changes.
func (e *run) programEnv() map[string]string {
	e.envOnce.Do(func() {
		e.env = map[string]string{EnvCommand: e.command}
		if exe := e.exePath(); exe != "" {
			e.env[EnvExe] = exe
		}
	})
	return e.env
}
