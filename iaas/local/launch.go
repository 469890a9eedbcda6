package local

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/iaas"
)

const idPrefix = "local-"

// handle is the opaque Instance.Handle: where the instance's record is, so
// that a process with another state directory can still reattach.
type handle struct {
	Dir string `json:"dir"`
}

// Launch starts one instance and returns it Pending. It is idempotent on
// spec.ClientToken (an empty token disables that). Image and Allocation are
// recorded, not interpreted; Credentials are ignored and never recorded.
func (d *Driver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return iaas.Instance{}, launchError(err)
	}
	m, dir, existing, ln, err := d.reserve(ctx, spec)
	if err != nil {
		return iaas.Instance{}, launchError(err)
	}
	if existing {
		insts, err := d.Describe(ctx, iaas.Ref{ID: m.ID, Handle: handleOf(dir)})
		if err != nil {
			return iaas.Instance{}, err
		}
		return insts[0], nil
	}
	pid, start, err := d.spawn(ctx, dir, m.ID, ln)
	if err != nil {
		err = fmt.Errorf("%s: start instance server: %w", m.ID, err)
		d.abandon(dir, m, err)
		return iaas.Instance{}, launchError(err)
	}
	m, err = d.updateMeta(context.WithoutCancel(ctx), dir, func(m *meta) { m.PID, m.PIDStart = pid, start })
	if err != nil {
		return iaas.Instance{}, launchError(err)
	}
	d.log.Info("local instance launched", "id", m.ID, "run", m.Run, "service", m.Service,
		"addr", m.Addr, "port", m.Port, "pid", pid)
	return d.instance(dir, m, iaas.StatePending, nil), nil
}

// reserve, under the state lock, finds the instance of spec's token or
// records a new one with its keys and bound address.
func (d *Driver) reserve(ctx context.Context, spec iaas.LaunchSpec) (m meta, dir string, existing bool, ln *net.TCPListener, err error) {
	unlock, err := d.lock(ctx)
	if err != nil {
		return m, "", false, nil, err
	}
	defer unlock()
	tokenPath := ""
	if spec.ClientToken != "" {
		sum := sha256.Sum256([]byte(spec.ClientToken))
		tokenPath = filepath.Join(d.stateDir, "tokens", hex.EncodeToString(sum[:]))
		if b, err := os.ReadFile(tokenPath); err == nil {
			dir = filepath.Join(d.stateDir, strings.TrimSpace(string(b)))
			if m, err := readMeta(dir); err == nil && m.Token == spec.ClientToken {
				return m, dir, true, nil, nil
			}
		}
	}
	id, dir, err := d.newInstanceDir()
	if err != nil {
		return m, "", false, nil, err
	}
	pub, keyPath, err := d.runKey(spec.Run.String()) // one key per record, not per name
	if err != nil {
		return m, "", false, nil, fmt.Errorf("client key: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, authKeysFile), ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		return m, "", false, nil, err
	}
	hostKey, err := newHostKey(dir)
	if err != nil {
		return m, "", false, nil, fmt.Errorf("host key: %w", err)
	}
	ln, err = d.bindAddress()
	if err != nil {
		return m, "", false, nil, err
	}
	ap := ln.Addr().(*net.TCPAddr)
	m = meta{
		ID: id, Run: spec.Run.Name, Incarnation: spec.Run.Incarnation, Service: spec.Service, Owner: spec.Owner,
		StartedBy: spec.StartedBy, Tags: maps.Clone(spec.Tags),
		Attempt: spec.Attempt, Token: spec.ClientToken,
		Image: spec.Image, Allocation: spec.Allocation,
		Addr: ap.IP.String(), Port: ap.Port, User: d.user, HostKey: hostKey, ClientKey: keyPath,
		State: statePending, LaunchedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	err = writeMeta(dir, m)
	if err == nil {
		ip, _ := netip.AddrFromSlice(ap.IP)
		d.recordedAddress(id, ip.Unmap())
	}
	if err == nil && tokenPath != "" {
		err = writeFileAtomic(tokenPath, []byte(id+"\n"), 0o600)
	}
	if err != nil {
		ln.Close()
		return m, "", false, nil, err
	}
	return m, dir, false, ln, nil
}

// newInstanceDir creates <state>/<id> and its work directory with a fresh id.
func (d *Driver) newInstanceDir() (string, string, error) {
	for range 16 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", "", err
		}
		id := idPrefix + hex.EncodeToString(b[:])
		dir := filepath.Join(d.stateDir, id)
		before, berr := dirIdentityOf(d.stateDir)
		err := os.Mkdir(dir, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		d.madeInstanceDir(before, berr)
		return id, dir, os.Mkdir(filepath.Join(dir, workDir), 0o755)
	}
	return "", "", errors.New("no free instance id")
}

// abandon records a launch that could not start and forgets its token, so
// that a retry with the same token launches afresh.
func (d *Driver) abandon(dir string, m meta, cause error) {
	ctx := context.Background()
	_, _ = d.updateMeta(ctx, dir, func(m *meta) { m.State, m.Error = stateFailed, cause.Error() })
	if m.Token != "" {
		sum := sha256.Sum256([]byte(m.Token))
		_ = os.Remove(filepath.Join(d.stateDir, "tokens", hex.EncodeToString(sum[:])))
	}
	_, _ = signalMarked(m.ID, syscall.SIGKILL)
}

func handleOf(dir string) []byte {
	b, _ := json.Marshal(handle{Dir: dir})
	return b
}

// instance converts a record to the contract's value.
func (d *Driver) instance(dir string, m meta, st iaas.State, err error) iaas.Instance {
	return iaas.Instance{
		ID: m.ID, State: st,
		Hostname: m.Addr, PrivateIP: m.Addr,
		SSH: &iaas.SSHEndpoint{
			Host: m.Addr, Port: m.Port, User: m.User,
			PrivateKeyPath: m.ClientKey, HostKey: m.HostKey,
		},
		WorkDir:     filepath.Join(dir, workDir),
		Handle:      handleOf(dir),
		LaunchedAt:  m.LaunchedAt,
		Run:         iaas.RunID{Name: m.Run, Incarnation: m.Incarnation},
		Service:     m.Service,
		ClientToken: m.Token,
		Owner:       m.Owner,
		StartedBy:   m.StartedBy,
		Tags:        maps.Clone(m.Tags),
		Err:         err,
	}
}
