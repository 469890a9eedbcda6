package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

// Place is where a service's programs run.
type Place struct {
	Hostname string
	SSH      *iaas.SSHEndpoint // from the driver, nil if it says nothing
	WorkDir  string            // the instance's work dir, "" for the default
}

// PlaceOf is the place of an instance: its hostname, the SSH endpoint and
// work dir its driver announces.
func PlaceOf(inst iaas.Instance) Place {
	return Place{Hostname: inst.Hostname, SSH: inst.SSH, WorkDir: inst.WorkDir}
}

// Flag reports whether a boolean setting is "true" (any case).
func Flag(s Settings, key string) bool {
	v, _ := s.Setting(key)
	return strings.EqualFold(v, "true")
}

// NewTarget builds how to reach svc at pl: the login (ssh_username, else
// the driver's user), the key (localsshkeypath, and the driver's), the
// port (ssh_port, else the driver's, else 22), the host key the driver
// announces. contextualized shortens the connection's port budget.
func NewTarget(svc string, s Settings, a Attributes, pl Place, contextualized bool) (Target, error) {
	t := Target{Service: svc, Local: Flag(s, "local_exe"), Host: pl.Hostname, Contextualized: contextualized}
	var err error
	if t.User, err = a.Setting("ssh_username"); err != nil {
		return t, err
	}
	if t.KeyPath, err = a.Setting("localsshkeypath"); err != nil {
		return t, err
	}
	if p, _ := s.Setting("ssh_port"); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil {
			return t, fmt.Errorf("ssh_port: %w", err)
		}
	}
	if ep := pl.SSH; ep != nil {
		if ep.Host != "" {
			t.Host = ep.Host
		}
		if ep.Port != 0 {
			t.Port = ep.Port
		}
		if t.User == "" {
			t.User = ep.User
		}
		t.DriverKeyPath, t.HostKey = ep.PrivateKeyPath, ep.HostKey
	}
	return t, nil
}

// StageDir is svc's stage directory on its host: <work dir>/<svc>, the
// work dir being the instance's (pl), else REMOTE_WORKING_DIR_ENV read
// through getenv, else remote.DefaultWorkDir. A local_exe service's
// programs run here, not on the instance: the instance's work dir does
// not count.
func StageDir(svc string, s Settings, pl Place, getenv func(string) string) string {
	wd := pl.WorkDir
	if Flag(s, "local_exe") {
		wd = ""
	}
	return remote.StageDir(remote.WorkDir(wd, getenv), svc)
}
