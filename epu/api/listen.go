package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// ListenFile is the name of the file in a daemon's state directory that
// records the address it listens on and the listen value that gave it
// (JSON, mode 0600), so that a restart can keep the address.
const ListenFile = "listen_addr"

// listenRecord is what ListenFile holds.
type listenRecord struct {
	Listen string `json:"listen"` // the daemon's listen key: host:port
	Addr   string `json:"addr"`   // the address it listened on
}

// Listen listens on listen (host:port, a daemon's listen key) and records
// the address it got in dir/ListenFile. When listen's port is 0 and dir
// records an address an earlier start got from the same listen value,
// that address is tried first: a daemon restarted on the same host keeps
// its URL, which was given to those that cannot learn another (a
// controller's workers heartbeat to it). When that address is taken, or
// the record cannot be read, Listen takes a free port as listen says and
// moved says why ("" otherwise: kept, a first start, or another listen
// value), for the caller to report; the record is replaced.
func Listen(dir, listen string) (ln net.Listener, moved string, err error) {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	if port == "0" {
		rec, err := readListen(dir)
		switch {
		case err != nil:
			moved = fmt.Sprintf("the address of the previous start is unknown: %v", err)
		case rec.Listen == listen:
			if ln, err = net.Listen("tcp", rec.Addr); err == nil {
				return recordListen(ln, dir, listen, "")
			}
			moved = fmt.Sprintf("the address of the previous start, %s, is taken: %v", rec.Addr, err)
		}
	}
	if ln, err = net.Listen("tcp", listen); err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	return recordListen(ln, dir, listen, moved)
}

// readListen reads dir/ListenFile: the zero record when there is none,
// an error when it cannot be read or parsed.
func readListen(dir string) (listenRecord, error) {
	var rec listenRecord
	path := filepath.Join(dir, ListenFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return listenRecord{}, nil
	case err != nil:
		return listenRecord{}, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return listenRecord{}, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Addr == "" || rec.Listen == "" {
		return listenRecord{}, fmt.Errorf("%s: no address recorded", path)
	}
	return rec, nil
}

// recordListen writes ln's address to dir/ListenFile and returns ln and
// moved; on failure it closes ln.
func recordListen(ln net.Listener, dir, listen, moved string) (net.Listener, string, error) {
	b, err := json.Marshal(listenRecord{Listen: listen, Addr: ln.Addr().String()})
	if err == nil {
		err = writePrivate(dir, ListenFile, string(b)+"\n")
	}
	if err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("record the listen address: %w", err)
	}
	return ln, moved, nil
}
