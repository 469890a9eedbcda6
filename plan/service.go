package plan

import (
	"strconv"
	"strings"
	"time"
)

// Get returns the value of key (a configuration key such as "sshkeyname"
// or a deps* key) and whether it is set.
func (s *Service) Get(key string) (string, bool) {
	st, ok := s.Settings.Get(key)
	return st.Value, ok
}

func (s *Service) get(key string) string {
	v, _ := s.Get(key)
	return v
}

// Image is the image to launch; empty when the service does not launch.
func (s *Service) Image() string { return s.get("image") }

// Hostname is the configured hostname, raw (it may hold ${} references);
// empty for a service that launches a VM.
func (s *Service) Hostname() string { return s.get("hostname") }

// IaaS is the cloud type or region (the iaas key).
func (s *Service) IaaS() string { return s.get("iaas") }

// IaaSURL is the endpoint of an EC2-compatible cloud (iaas_url).
func (s *Service) IaaSURL() string { return s.get("iaas_url") }

// Allocation is the instance type.
func (s *Service) Allocation() string { return s.get("allocation") }

// Cloud is the selected [cloud-*] section name, "" if none.
func (s *Service) Cloud() string { return s.get("cloud") }

// KeyName is the cloud-side key pair name (sshkeyname).
func (s *Service) KeyName() string { return s.get("sshkeyname") }

// LocalKey is the absolute path of the local private key
// (localsshkeypath), "" if none.
func (s *Service) LocalKey() string { return s.get("localsshkeypath") }

// SSHUser is the ssh user (ssh_username), "" for the ssh default.
func (s *Service) SSHUser() string { return s.get("ssh_username") }

// SCPUser is scp_username.
func (s *Service) SCPUser() string { return s.get("scp_username") }

// SecurityGroups is the security group name.
func (s *Service) SecurityGroups() string { return s.get("securitygroups") }

// SSHPort is ssh_port, 22 by default.
func (s *Service) SSHPort() int {
	n, err := strconv.Atoi(s.get("ssh_port"))
	if err != nil {
		return defaultSSHPort
	}
	return n
}

// IaaSLaunch reports whether the service launches a VM: iaas_launch is
// "true" in any case, or absent and no hostname is set.
func (s *Service) IaaSLaunch() bool { return strings.EqualFold(s.get("iaas_launch"), "true") }

// LocalExe reports whether programs run on the local machine (local_exe is
// "true" in any case).
func (s *Service) LocalExe() bool { return strings.EqualFold(s.get("local_exe"), "true") }

// PgmTimeout is the per-step timeout, pgm_timeout seconds (1200 by
// default).
func (s *Service) PgmTimeout() time.Duration {
	n, err := strconv.Atoi(s.get("pgm_timeout"))
	if err != nil || n <= 0 {
		n = defaultPgmTimeout
	}
	return time.Duration(n) * time.Second
}

// IsReplica reports whether the service is one of the replicas made by
// replica_count.
func (s *Service) IsReplica() bool { return s.Replica >= 0 }

// BootConf is the absolute path of the bootconf template, "" if none.
func (s *Service) BootConf() string { return s.get("bootconf") }

// ProgramKind names one of the three programs of a service.
type ProgramKind string

// The program kinds; their keys are "<kind>pgm" and "<kind>pgm_args".
const (
	BootPgm      ProgramKind = "boot"
	ReadyPgm     ProgramKind = "ready"
	TerminatePgm ProgramKind = "terminate"
)

// Program returns the absolute path of the kind's program, "" if none.
// A path containing ".tar.gz" is a tarball with a run.sh.
func (s *Service) Program(kind ProgramKind) string { return s.get(string(kind) + "pgm") }

// Args returns the raw argument string of the kind's program (split it
// with SplitWords and expand each word at use time).
func (s *Service) Args(kind ProgramKind) string { return s.get(string(kind) + "pgm_args") }

// BootPgm is Program(BootPgm).
func (s *Service) BootPgm() string { return s.Program(BootPgm) }

// ReadyPgm is Program(ReadyPgm).
func (s *Service) ReadyPgm() string { return s.Program(ReadyPgm) }

// TerminatePgm is Program(TerminatePgm).
func (s *Service) TerminatePgm() string { return s.Program(TerminatePgm) }

// DriverOptions returns the set driver pass-through keys (fake_*,
// ssh_check, subnet, userdata, tags, root_volume_size, spot,
// hostname_from), nil if none.
func (s *Service) DriverOptions() map[string]string {
	var m map[string]string
	for _, k := range DriverOptionKeys() {
		if v, ok := s.Get(k); ok {
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
		}
	}
	return m
}

// Secret reports whether key holds a credential that must never be
// printed, logged or stored in output; see [IsSecret].
func (s *Service) Secret(key string) bool { return IsSecret(key) }

// DepsFiles returns the absolute paths of the deps files in processing
// order.
func (s *Service) DepsFiles() []string {
	var out []string
	for _, st := range s.Settings { // sorted by key
		if isDepsKey(st.Key) {
			out = append(out, st.Value)
		}
	}
	return out
}
