package bootlevel

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/store"
)

// ForgottenKey is one host key ForgetHostKeys removed from the record.
type ForgottenKey struct {
	Host     string   // the host id the key was recorded for: "host" or "[host]:port"
	Services []string // the services that had it recorded
}

// ForgetHostKeys removes recorded SSH host keys from the run record, so
// that the next connection to the host records the key it then offers (as
// on first contact). With svc, the key of svc's host is forgotten for every
// service of the run recorded with that host (services sharing a host);
// with svc "", every recorded key of the run. It returns what it forgot,
// nothing when no key was recorded. An unknown svc wraps store.ErrNoService.
//
// This is for a host rebuilt behind a hostname: whose key changed; the
// caller must be sure of that, since the next key is trusted on sight. A
// key the IaaS driver announces for its instances is not recorded and is
// not affected.
func ForgetHostKeys(ctx context.Context, db *store.DB, svc string) ([]ForgottenKey, error) {
	ss, err := db.Services(ctx)
	if err != nil {
		return nil, err
	}
	want := "" // host id of svc's key; "" for every host
	if svc != "" {
		i := slices.IndexFunc(ss, func(s store.Service) bool { return s.Name == svc })
		if i < 0 {
			return nil, fmt.Errorf("%w %q in run %s", store.ErrNoService, svc, db.Name())
		}
		if ss[i].HostKey == "" {
			return nil, nil
		}
		want = hostKeyID(ss[i].HostKey)
	}
	var out []ForgottenKey
	for _, s := range ss {
		if s.HostKey == "" {
			continue
		}
		id := hostKeyID(s.HostKey)
		if svc != "" && id != want && s.Name != svc {
			continue
		}
		if err := db.SetHostKey(ctx, s.Name, ""); err != nil {
			return out, err
		}
		i := slices.IndexFunc(out, func(f ForgottenKey) bool { return f.Host == id })
		if i < 0 {
			out = append(out, ForgottenKey{Host: id})
			i = len(out) - 1
		}
		out[i].Services = append(out[i].Services, s.Name)
	}
	return out, nil
}

// hostKeyID returns the host id of a recorded key ("<type> <base64> <host
// id>", see recordHostKeys), "" for a line that does not parse.
func hostKeyID(line string) string {
	_, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return ""
	}
	return comment
}
