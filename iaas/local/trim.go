package local

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A server gives its memory back (trimIdle) once it has had no SSH session
// for trimQuiet, and again every trimAgain while it stays idle: the Go
// runtime's own periodic work (a forced collection every 2 minutes, the
// scavenger) touches pages again, which took an idle instance from 6 to
// 10.5 MiB in 9 minutes. A server that has had no session yet first
// trims trimAgain after it started: it was just launched, and the boot
// that launched it is about to connect. Trimming 2 s after the start, as
// before, cost every instance of a 200-service boot a trim (a collection,
// the madvise) and then the faults of reading its code back for the
// session that came next, in the boot's own time (docs/performance.md).
const (
	trimQuiet = 2 * time.Second
	trimAgain = 30 * time.Second
)

// trimWhenIdle gives the server's memory back each time it has had no
// session for quiet after the last session of a burst closed, first after
// first once the listener is up (no session yet), and then every again
// while no session comes. changed is signalled after every change of the
// number of open sessions, which open reports. It returns when done
// closes.
//
// An instance is the whole cloudinitd executable re-executed, and most of
// what an idle one holds resident is that file's pages that start-up and
// the SSH sessions touched (the package initialisers of every dependency,
// crypto, SFTP), not memory of its own. Those pages are shared with every
// other instance and cloudinitd itself through the page cache; trimIdle
// lets go of them, so that an idle instance keeps resident only what it
// touches while idle.
func trimWhenIdle(done <-chan struct{}, changed <-chan struct{}, open func() int, first, quiet, again time.Duration, trim func()) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-changed:
			t.Stop()
			if open() == 0 {
				t.Reset(quiet)
			}
		case <-t.C:
			if open() == 0 {
				trim()
				t.Reset(again)
			}
		}
	}
}

// wake wakes the receiver of ch (capacity 1) unless it is already due to
// wake: signals coalesce, the receiver reads the state itself.
func wake(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// trimIdle returns the free heap to the system and drops this process's
// mappings of its executable's read-only pages (code and read-only data):
// they are read again from the file, shared through the page cache, on
// their next use. Writable mappings are left alone: they hold the
// program's variables. Errors are ignored: trimming is an economy, not a
// duty.
func trimIdle() {
	debug.FreeOSMemory()
	exe, err := os.Executable()
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	for _, r := range readOnlyMappings(maps, exe) {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, r.start, r.end-r.start, syscall.MADV_DONTNEED)
	}
}

// mapping is an address range of /proc/self/maps.
type mapping struct{ start, end uintptr }

// readOnlyMappings are the ranges of maps (the text of /proc/PID/maps)
// that map the file path without write permission. A file removed since
// (`go run` removes its binary when it exits, and the instance outlives
// it) is named "path (deleted)": its pages are read again from the
// removed file, which the mapping keeps.
func readOnlyMappings(maps []byte, path string) []mapping {
	var out []mapping
	s := bufio.NewScanner(bytes.NewReader(maps))
	for s.Scan() {
		// 00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/x
		f := strings.Fields(s.Text())
		name := strings.Join(f[min(5, len(f)):], " ")
		if len(f) < 6 || (name != path && name != path+" (deleted)") || strings.Contains(f[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, mapping{uintptr(start), uintptr(end)})
	}
	return out
}
