package plan

import "strings"

// The rule of what is secret, for every package: the cloud credentials
// (credentialKeys) and every key whose name ends in one of secretSuffixes,
// be it a plan setting, a deps row, a bootout.json key or a global
// variable. A secret's value never reaches output, logs, JSON documents or
// the run record, nor any value that was expanded from it; see
// docs/record.md.

// credentialKeys are the plan settings that hold cloud credentials.
var credentialKeys = []string{"iaas_key", "iaas_secret"}

// secretSuffixes end the names of secret keys (case-insensitive).
var secretSuffixes = []string{"_password", "_secret", "_token"}

// IsCredential reports whether key is one of the credential settings (iaas_key, iaas_secret).
func IsCredential(key string) bool {
	k := strings.ToLower(key)
	for _, c := range credentialKeys {
		if k == c {
			return true
		}
	}
	return false
}

// IsSecret reports whether values of key are secret: a credential, or a
// name ending in _password, _secret or _token (case-insensitive). A key
// named plainly token, password or secret is not: it is how plans pass
// ordinary values (examples/hello hands a "token" between levels).
func IsSecret(key string) bool {
	if IsCredential(key) {
		return true
	}
	k := strings.ToLower(key)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// checkSecrets refuses secrets written literally in the plan's files:
// credentials and secret-named deps rows must be env.NAME (a deps row may
// also refer to another value with ${}). The run record never holds a
// secret, so a literal one could not be found again by a later command
// (status, terminate, repair), and would be used by some commands and not
// others.
func (l *loader) checkSecrets(s *Service) {
	for _, k := range credentialKeys {
		st, ok := s.Settings.Get(k)
		if ok && st.Source.Env == "" {
			l.ps.errorf(st.Source.File, st.Source.Section, k, st.Source.Line, "%s",
				literalSecret(k, k+": env.NAME, or leave it unset for the driver's default credential chain"))
		}
	}
	for _, a := range s.Deps {
		if IsSecret(a.Key) && a.Env == "" && !strings.Contains(a.Value, "${") {
			l.ps.errorf(a.File, "deps", a.Key, a.Line, "%s", literalSecret(a.Key, a.Key+": env.NAME"))
		}
	}
}

// literalSecret is the message refusing a secret written literally.
func literalSecret(key, instead string) string {
	return key + " is a secret written literally: the run record never stores a secret, so later commands " +
		"could not find it; take it from the environment: " + instead
}

// checkSecretArgs refuses *pgm_args that refer to a secret, directly
// (${.iaas_secret}, ${global.admin_password}, ${db.session_token}) or
// through deps rows (${.copy} with copy: pre-${.iaas_secret}): every user
// of a host can read a program's arguments (ps). The engine checks the
// expanded words again when it runs the program.
//
// Services are looked at in plan order and rows in order, each row once, so
// the check is linear in the plan: a row can only read rows before it and
// services of earlier levels, which are then known (a plan that reads
// ahead is invalid anyway, and reported so by checkRefs).
func (l *loader) checkSecretArgs(p *Plan) {
	via := map[[2]string]string{} // (service, deps key) -> the secret its value reads
	lead := func(s *Service, ref Ref) string {
		switch {
		case IsSecret(ref.Attr):
			return ref.String()
		case ref.Global:
			return ""
		case ref.Self:
			return via[[2]string{s.Name, ref.Attr}]
		}
		return via[[2]string{ref.Service, ref.Attr}]
	}
	for _, s := range p.Services() {
		for _, a := range s.Deps {
			for _, ref := range Refs(a.Value) {
				if v := lead(s, ref); v != "" {
					via[[2]string{s.Name, a.Key}] = v
					break
				}
			}
		}
		for _, kind := range []ProgramKind{BootPgm, ReadyPgm, TerminatePgm} {
			key := string(kind) + "pgm_args"
			st, ok := s.Settings.Get(key)
			if !ok {
				continue
			}
			for _, ref := range Refs(st.Value) {
				if v := lead(s, ref); v != "" {
					what := ref.String()
					if v != what {
						what += " (through " + v + ")"
					}
					l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line,
						"%s refers to a secret: program arguments are visible to every user of the host (ps); "+
							"pass it in bootconf instead (bootconf.json and bootenv.sh are uploaded with mode 0600)", what)
				}
			}
		}
	}
}
