package api

import (
	"encoding/json"
	"fmt"
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
// its URL, which its workers (heartbeat_dest) and clients (a controller's
// provisioner url) were given and cannot learn again. When that address is
// taken, Listen takes a free port as listen says and returns the recorded
// address as prev ("" otherwise), for the caller to say what moved. A
// record that cannot be read or parsed counts as none; it is replaced.
func Listen(dir, listen string) (ln net.Listener, prev string, err error) {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	if port == "0" {
		if rec, ok := readListen(dir); ok && rec.Listen == listen {
			if ln, err = net.Listen("tcp", rec.Addr); err == nil {
				return recordListen(ln, dir, listen, "")
			}
			prev = rec.Addr
		}
	}
	if ln, err = net.Listen("tcp", listen); err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	return recordListen(ln, dir, listen, prev)
}

// readListen reads dir/ListenFile; false when there is no usable record.
func readListen(dir string) (listenRecord, bool) {
	var rec listenRecord
	b, err := os.ReadFile(filepath.Join(dir, ListenFile))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Addr == "" {
		return listenRecord{}, false
	}
	return rec, true
}

// recordListen writes ln's address to dir/ListenFile and returns ln and
// prev; on failure it closes ln.
func recordListen(ln net.Listener, dir, listen, prev string) (net.Listener, string, error) {
	b, err := json.Marshal(listenRecord{Listen: listen, Addr: ln.Addr().String()})
	if err == nil {
		err = writePrivate(dir, ListenFile, string(b)+"\n")
	}
	if err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("record the listen address: %w", err)
	}
	return ln, prev, nil
}
