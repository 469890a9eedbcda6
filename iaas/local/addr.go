package local

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// bindAddress picks a loopback address no live instance of this state
// directory uses and that has no listener of its own, and binds it: port 22
// when permitted, otherwise a free high port. Callers hold the state lock.
func (d *Driver) bindAddress() (*net.TCPListener, error) {
	used, err := d.usedAddresses()
	if err != nil {
		return nil, err
	}
	for a, n := range listeningAddresses() {
		used[a] = n
	}
	for hi := 0; hi < 256; hi++ {
		for lo := 1; lo < 255; lo++ {
			ip := netip.AddrFrom4([4]byte{127, 77, byte(hi), byte(lo)})
			if used[ip] {
				continue
			}
			ln, err := net.Listen("tcp4", netip.AddrPortFrom(ip, 22).String())
			if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
				ln, err = net.Listen("tcp4", netip.AddrPortFrom(ip, 0).String())
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("bind %s: %w", ip, err)
			}
			return ln.(*net.TCPListener), nil
		}
	}
	return nil, errors.New("no free loopback address in 127.77.0.0/16")
}

// usedAddresses returns the addresses recorded by instances of the state
// directory that are not final. Callers hold the state lock.
//
// A record is read again only when its file changed since this driver last
// read it (writeMeta replaces it: a new inode and modification time):
// reading every record at every launch made a boot of n services read
// n²/2 records under the lock. And the records are not even looked at
// while the state directory itself is as this driver left it (d.addrsDir:
// no instance directory created or removed since, but by this driver,
// whose launches add their own entries): the n²/2 stats of a boot went
// too. Every creation and removal of an instance directory happens under
// the state lock, and a record's address never changes; what such a scan
// can miss is a record that became final meanwhile, whose address then
// stays taken until the next scan — never one given twice.
//
// A state directory that cannot be listed (too many open files) is an
// error: its records were not read, and an address one of them holds
// would be given again.
func (d *Driver) usedAddresses() (map[netip.Addr]bool, error) {
	cur, err := dirIdentityOf(d.stateDir)
	if err != nil || cur != d.addrsDir {
		if err := d.scanAddresses(); err != nil {
			return nil, err
		}
		d.addrsDir = cur
	}
	used := map[netip.Addr]bool{}
	for _, a := range d.addrs {
		if !a.final && a.addr.IsValid() {
			used[a.addr] = true
		}
	}
	return used, nil
}

// scanAddresses reads the records of the state directory into d.addrs,
// each file only when it changed (see usedAddresses); on an error d.addrs
// is left as it was.
func (d *Driver) scanAddresses() error {
	entries, err := os.ReadDir(d.stateDir)
	if err != nil {
		return fmt.Errorf("the addresses the instances hold: %w", err)
	}
	seen := make(map[string]addrEntry, len(entries))
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), idPrefix) {
			continue
		}
		if a, ok := readAddrEntry(filepath.Join(d.stateDir, e.Name()), d.addrs[e.Name()]); ok {
			seen[e.Name()] = a
		}
	}
	d.addrs = seen // instances removed since are forgotten
	return nil
}

// madeInstanceDir notes, under the state lock, that this driver created
// the instance directory id: when the state directory was as the last
// scan left it before (before), it still is but for that directory, which
// has no record yet (recorded by recordedAddress).
func (d *Driver) madeInstanceDir(before dirIdentity, beforeErr error) {
	if beforeErr != nil || before != d.addrsDir {
		return // changed by someone else first: the next launch scans
	}
	if after, err := dirIdentityOf(d.stateDir); err == nil {
		d.addrsDir = after
	}
}

// recordedAddress adds this driver's own new record (id, at addr) to what
// usedAddresses knows, under the state lock. Its file is read at the next
// scan (no file identity yet).
func (d *Driver) recordedAddress(id string, addr netip.Addr) {
	if d.addrs == nil {
		d.addrs = map[string]addrEntry{}
	}
	d.addrs[id] = addrEntry{addr: addr}
}

// dirIdentity tells whether a directory's entries may have changed: its
// inode, modification and change times and link count (an instance
// directory made or removed changes all three).
type dirIdentity struct {
	ino, nlink   uint64
	mtime, ctime int64
}

func dirIdentityOf(dir string) (dirIdentity, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return dirIdentity{}, err
	}
	return dirIdentity{ino: st.Ino, nlink: uint64(st.Nlink), mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, nil
}

// addrEntry is what usedAddresses keeps of an instance record: its
// address, whether it is final, and the identity of the file it read.
type addrEntry struct {
	ino   uint64
	mtime int64
	addr  netip.Addr
	final bool
}

// readAddrEntry returns the entry of the record in dir, reading the file
// only when it is not the one prev was read from. ok is false when there
// is no readable record.
func readAddrEntry(dir string, prev addrEntry) (addrEntry, bool) {
	fi, err := os.Stat(filepath.Join(dir, metaFile))
	if err != nil {
		return addrEntry{}, false
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return addrEntry{}, false
	}
	a := addrEntry{ino: st.Ino, mtime: fi.ModTime().UnixNano()}
	if prev.ino == a.ino && prev.mtime == a.mtime && prev.ino != 0 {
		return prev, true
	}
	m, err := readMeta(dir)
	if err != nil {
		return addrEntry{}, false
	}
	a.final = m.State == stateTerminated || m.State == stateFailed
	a.addr, _ = netip.ParseAddr(m.Addr)
	return a, true
}
