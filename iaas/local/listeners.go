package local

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listeningAddresses returns the IPv4 loopback addresses with a TCP
// listener bound to them specifically, so that two state directories (or
// other programs) do not share an address. It asks the kernel's socket
// diagnostics (netlink) for the listening sockets alone, and reads
// /proc/net/tcp where that is not available: producing that file walks the
// kernel's whole table of TCP connections (1.4 ms of CPU per read on a
// machine with 24 GB, against 0.05 ms), and a launch reads it under the
// state lock.
func listeningAddresses() map[netip.Addr]bool {
	if out, err := diagListeners(); err == nil {
		return out
	}
	return procListeners()
}

// sockDiagByFamily is SOCK_DIAG_BY_FAMILY of linux/sock_diag.h.
const sockDiagByFamily = 20

// diagListeners dumps the listening IPv4 TCP sockets through
// NETLINK_SOCK_DIAG (struct inet_diag_req_v2 in, inet_diag_msg out).
func diagListeners() (map[netip.Addr]bool, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	// struct nlmsghdr (16 bytes), then struct inet_diag_req_v2 (56).
	req := make([]byte, 16+56)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1)               // sequence
	req[16], req[17] = syscall.AF_INET, syscall.IPPROTO_TCP // sdiag_family, sdiag_protocol
	binary.NativeEndian.PutUint32(req[20:], 1<<10)          // idiag_states: TCP_LISTEN (10) only
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return nil, err
	}
	out := map[netip.Addr]bool{}
	buf := make([]byte, 32<<10)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return out, nil
			case syscall.NLMSG_ERROR:
				return nil, errors.New("sock_diag: the kernel refused the request")
			}
			// struct inet_diag_msg: family, state, timer, retrans (4
			// bytes), then inet_diag_sockid: sport, dport (4), src.
			if len(m.Data) < 12 || m.Data[0] != syscall.AF_INET {
				return nil, fmt.Errorf("sock_diag: unexpected message (%d bytes)", len(m.Data))
			}
			if ip := netip.AddrFrom4([4]byte(m.Data[8:12])); ip.IsLoopback() {
				out[ip] = true
			}
		}
	}
}

// diagListening reports whether a connection to ap (an IPv4 address)
// would find a listening socket, asking the kernel's socket diagnostics
// for the one socket such a connection would reach — the kernel looks it
// up as it would for an incoming connection (from 0.0.0.0:0), in its
// hash tables: no dump of every socket, and no connection for the
// listener's owner to accept (see answers).
func diagListening(ap netip.AddrPort) (bool, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return false, err
	}
	defer syscall.Close(fd)
	// struct nlmsghdr (16 bytes), then struct inet_diag_req_v2 (56): no
	// NLM_F_DUMP, so the kernel finds the socket of the id (sport, dport,
	// src, dst, if, cookie at 24, 26, 28, 44, 60, 64).
	req := make([]byte, 16+56)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:], syscall.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(req[8:], 1)               // sequence
	req[16], req[17] = syscall.AF_INET, syscall.IPPROTO_TCP // sdiag_family, sdiag_protocol
	binary.NativeEndian.PutUint32(req[20:], 1<<10)          // idiag_states: TCP_LISTEN (10)
	binary.BigEndian.PutUint16(req[24:], ap.Port())         // the socket's own port and address
	a4 := ap.Addr().As4()
	copy(req[28:], a4[:])
	binary.NativeEndian.PutUint32(req[64:], ^uint32(0)) // INET_DIAG_NOCOOKIE
	binary.NativeEndian.PutUint32(req[68:], ^uint32(0))
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return false, err
	}
	buf := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return false, err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil || len(msgs) == 0 {
		return false, fmt.Errorf("sock_diag: bad answer: %v", err)
	}
	m := msgs[0]
	switch m.Header.Type {
	case sockDiagByFamily:
		// struct inet_diag_msg: family, state (TCP_LISTEN is 10).
		return len(m.Data) >= 2 && m.Data[0] == syscall.AF_INET && m.Data[1] == 10, nil
	case syscall.NLMSG_ERROR:
		if len(m.Data) >= 4 && syscall.Errno(-int32(binary.NativeEndian.Uint32(m.Data))) == syscall.ENOENT {
			return false, nil // no such socket
		}
	}
	return false, errors.New("sock_diag: the kernel refused the request")
}

// procListeners reads the listening IPv4 loopback addresses from
// /proc/net/tcp.
func procListeners() map[netip.Addr]bool {
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
