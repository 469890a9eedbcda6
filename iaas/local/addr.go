package local

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// bindAddress picks a loopback address no live instance of this state
// directory uses and that has no listener of its own, and binds it: port 22
// when permitted, otherwise a free high port. Callers hold the state lock.
func (d *Driver) bindAddress() (*net.TCPListener, error) {
	used := d.usedAddresses()
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
// directory that are not final.
func (d *Driver) usedAddresses() map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	entries, _ := os.ReadDir(d.stateDir)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), idPrefix) {
			continue
		}
		m, err := readMeta(filepath.Join(d.stateDir, e.Name()))
		if err != nil || m.State == stateTerminated || m.State == stateFailed {
			continue
		}
		if ip, err := netip.ParseAddr(m.Addr); err == nil {
			used[ip] = true
		}
	}
	return used
}

// listeningAddresses returns the IPv4 addresses with a TCP listener bound to
// them specifically, from /proc/net/tcp, so that two state directories
// (or other programs) do not share an address.
func listeningAddresses() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
			continue
		}
		host, _, ok := strings.Cut(fields[1], ":")
		b, err := hex.DecodeString(host)
		if !ok || err != nil || len(b) != 4 {
			continue
		}
		// The kernel prints the address as a native-endian number.
		v, _ := strconv.ParseUint(host, 16, 32)
		ip := netip.AddrFrom4([4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
		if ip.IsLoopback() {
			out[ip] = true
		}
	}
	return out
}
