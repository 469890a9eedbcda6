package local

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// runKeyPath returns where the client key of a run lives.
func (d *Driver) runKeyPath(run string) string {
	sum := sha256.Sum256([]byte(run))
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, run)
	if len(safe) > 40 {
		safe = safe[:40]
	}
	return filepath.Join(d.stateDir, "keys", safe+"-"+hex.EncodeToString(sum[:4]), "id_ed25519")
}

// runKey returns the public half of the run's client key, creating the key
// pair on first use. Callers hold the state lock.
//
// The key file never changes once written, so what was read of it is kept
// (d.runKeys) and used again while the file is the same one (inode and
// modification time): every launch read, parsed and re-published the key,
// a file created per launch. A key removed or replaced meanwhile (Prune of
// another process) is read, or made, afresh.
func (d *Driver) runKey(run string) (ssh.PublicKey, string, error) {
	path := d.runKeyPath(run)
	fi, err := os.Stat(path)
	if err == nil {
		if k, ok := d.runKeys[path]; ok && k.same(fi) {
			return k.pub, path, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", err
		}
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, "", err
		}
		block, err := ssh.MarshalPrivateKey(priv, "cloudinitd local run "+run)
		if err != nil {
			return nil, "", err
		}
		b = pem.EncodeToMemory(block)
		if err := writeFileAtomic(path, b, 0o600); err != nil {
			return nil, "", err
		}
	} else if err != nil {
		return nil, "", err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, "", fmt.Errorf("client key %s: %w", path, err)
	}
	pub := signer.PublicKey()
	if err := writeFileAtomic(path+".pub", ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return nil, "", err
	}
	if fi, err := os.Stat(path); err == nil {
		if d.runKeys == nil {
			d.runKeys = map[string]runKeyEntry{}
		}
		d.runKeys[path] = runKeyEntry{pub: pub, file: fileID(fi)}
	}
	return pub, path, nil
}

// runKeyEntry is a run key read by runKey, and which file it was read from.
type runKeyEntry struct {
	pub  ssh.PublicKey
	file fileIdentity
}

func (k runKeyEntry) same(fi fs.FileInfo) bool { return k.file.ino != 0 && k.file == fileID(fi) }

// fileIdentity tells one file from another at the same path: a file
// replaced by a rename has a new inode, one rewritten in place a new
// modification time.
type fileIdentity struct {
	ino   uint64
	mtime int64
}

func fileID(fi fs.FileInfo) fileIdentity {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return fileIdentity{}
	}
	return fileIdentity{ino: st.Ino, mtime: fi.ModTime().UnixNano()}
}

// newHostKey writes a fresh ed25519 host key into dir and returns its
// public key in authorized_keys format (without the newline).
func newHostKey(dir string) (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(dir, hostKeyFile), pem.EncodeToMemory(block), 0o600); err != nil {
		return "", err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
}
