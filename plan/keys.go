package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Where a key may be written.
const (
	inService = 1 << iota
	inDefaults
	inCloud
)

// keyInfo describes one known key of [svc-*], [defaults] and [cloud-*].
type keyInfo struct {
	where  int
	path   bool   // resolved as a file relative to the level file
	column string // DB column name exposed as ${svc.column}, "" if none
	driver bool   // a driver option: passed to the IaaS driver in LaunchSpec.Options
}

const (
	launchKeys = inService | inDefaults | inCloud
	svcDef     = inService | inDefaults
)

// knownKeys is read-only after package initialisation.
var knownKeys = map[string]keyInfo{
	"image":             {where: svcDef, column: "image"},
	"iaas":              {where: launchKeys, column: "iaas"},
	"iaas_url":          {where: launchKeys, column: "iaas_url"},
	"iaas_key":          {where: launchKeys, column: "iaas_key"},
	"iaas_secret":       {where: launchKeys, column: "iaas_secret"},
	"allocation":        {where: svcDef, column: "allocation"},
	"sshkeyname":        {where: launchKeys, column: "keyname"},
	"localsshkeypath":   {where: launchKeys, path: true, column: "localkey"},
	"ssh_username":      {where: launchKeys, column: "username"},
	"scp_username":      {where: launchKeys, column: "scp_username"},
	"securitygroups":    {where: launchKeys, column: "securitygroups"},
	"bootconf":          {where: svcDef, path: true, column: "bootconf"},
	"bootpgm":           {where: svcDef, path: true, column: "bootpgm"},
	"bootpgm_args":      {where: svcDef, column: "bootpgm_args"},
	"readypgm":          {where: svcDef, path: true, column: "readypgm"},
	"readypgm_args":     {where: svcDef, column: "readypgm_args"},
	"terminatepgm":      {where: svcDef, path: true, column: "terminatepgm"},
	"terminatepgm_args": {where: svcDef, column: "terminatepgm_args"},
	"pgm_timeout":       {where: svcDef, column: "pgm_timeout"},
	"local_exe":         {where: svcDef, column: "local_exe"},
	"hostname":          {where: inService},
	"iaas_launch":       {where: inService, column: "iaas_launch"},
	"cloud":             {where: inService},
	"replica_count":     {where: inService},
	"ssh_port":          {where: svcDef},
	// Driver options, passed through to the IaaS driver unchecked: the one
	// list of them (IsDriverOption, DriverOptionKeys).
	"fake_launch_delay":    {where: svcDef, driver: true},
	"fake_running_delay":   {where: svcDef, driver: true},
	"fake_error_rate":      {where: svcDef, driver: true},
	"fake_capacity":        {where: svcDef, driver: true},
	"fake_die_after":       {where: svcDef, driver: true},
	"fake_seed":            {where: svcDef, driver: true},
	"fake_terminate_delay": {where: svcDef, driver: true},
	"fake_dry_run":         {where: svcDef, driver: true},
	"ssh_check":            {where: svcDef, driver: true},
	"subnet":               {where: svcDef, driver: true},
	"userdata":             {where: svcDef, path: true, driver: true},
	"tags":                 {where: svcDef, driver: true},
	"root_volume_size":     {where: svcDef, driver: true},
	"spot":                 {where: svcDef, driver: true},
	"hostname_from":        {where: svcDef, driver: true},
}

// IsDriverOption reports whether key is a driver option: a plan key the
// engine passes, expanded, to the service's IaaS driver in
// LaunchSpec.Options (fake_*, ssh_check, subnet, userdata, tags,
// root_volume_size, spot, hostname_from).
func IsDriverOption(key string) bool { return knownKeys[key].driver }

// DriverOptionKeys returns the driver options, sorted.
func DriverOptionKeys() []string {
	var out []string
	for k, info := range knownKeys {
		if info.driver {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// knownKeyNames are the names of knownKeys, sorted.
var knownKeyNames = slices.Sorted(maps.Keys(knownKeys))

// keyAliases maps names that look like keys (outdated or DB column names)
// to the key meant.
var keyAliases = map[string]string{
	"keyname":      "sshkeyname",
	"localkey":     "localsshkeypath",
	"username":     "ssh_username",
	"read_timeout": "pgm_timeout",
}

// builtInColumns are the attributes every service exposes besides its
// configuration columns: ${svc.hostname} and friends.
var builtInColumns = []string{"hostname", "instance_id", "run_name", "run_id", "run_secret", "iaas_state_dir", "state", "last_error", "name"}

// BeforeBag reports whether attr is a built-in attribute looked up before
// a service's bag (hostname, instance_id, run_name, run_id, run_secret,
// iaas_state_dir): a bag row of that name is never what ${.attr} reads.
func BeforeBag(attr string) bool {
	switch attr {
	case "hostname", "instance_id", "run_name", "run_id", "run_secret", "iaas_state_dir":
		return true
	}
	return false
}

// isDepsKey reports whether key names a deps file.
func isDepsKey(key string) bool { return strings.HasPrefix(key, "deps") }

// lookupKey returns what is known about key; deps* keys are service keys.
func lookupKey(key string) (keyInfo, bool) {
	if isDepsKey(key) {
		return keyInfo{where: inService, path: true}, true
	}
	k, ok := knownKeys[key]
	return k, ok
}

// sectionKind names a kind of section for messages.
func sectionKind(where int) string {
	switch where {
	case inDefaults:
		return "[defaults]"
	case inCloud:
		return "a [cloud-*] section"
	}
	return "a [svc-*] section"
}

// checkKey returns "" when key may be written in a section of kind where,
// or the warning to give.
func checkKey(key string, where int) string {
	k, ok := lookupKey(key)
	if ok {
		if k.where&where != 0 {
			return ""
		}
		return fmt.Sprintf("key ignored: %s is not honoured in %s", key, sectionKind(where))
	}
	msg := "unknown key ignored"
	if s := suggestKey(key, where); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// suggestKey returns the known key closest to key, or "" if none is close.
func suggestKey(key string, where int) string {
	if a, ok := keyAliases[key]; ok {
		return a
	}
	var names []string
	for n, k := range knownKeys {
		if k.where&where != 0 {
			names = append(names, n)
		}
	}
	return closest(key, names)
}

// columnKey maps an attribute name to the configuration key stored in
// that DB column, reporting whether attr is a column at all.
func columnKey(attr string) (string, bool) {
	for key, k := range knownKeys {
		if k.column == attr {
			return key, true
		}
	}
	return "", false
}

// isColumn reports whether attr is a field of every service's record: a
// built-in attribute or a column. Bag rows fall back to these only.
func isColumn(attr string) bool {
	if slices.Contains(builtInColumns, attr) {
		return true
	}
	_, ok := columnKey(attr)
	return ok
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
