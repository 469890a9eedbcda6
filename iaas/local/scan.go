package local

import "sync"

// procScans shares scans of /proc among concurrent callers. A scan reads
// the environment of every process on the machine, whatever instance it
// is for; terminating n instances at once (the engine terminates a level's
// services concurrently, each instance polled every 20 ms until its
// processes are gone) made n scans per round, each of every process. Here
// a caller joins the next scan to start, if one is waiting to, and every
// caller that joined gets its result: a scan never started before the
// caller asked, so it is as fresh as one of the caller's own.
type procScans struct {
	run  sync.Mutex // held while a scan runs: one at a time
	mu   sync.Mutex
	next *procScan // the scan that starts next, which callers may join
}

// procScan is one scan and, once done is closed, its result (read-only).
type procScan struct {
	done chan struct{}
	all  map[string][]marked
	err  error
}

// marked returns the live processes carrying id's marker, from a scan
// started after the call.
func (p *procScans) marked(id string) ([]marked, error) {
	p.mu.Lock()
	sc := p.next
	lead := sc == nil
	if lead {
		sc = &procScan{done: make(chan struct{})}
		p.next = sc
	}
	p.mu.Unlock()
	if !lead {
		<-sc.done
		return sc.all[id], sc.err
	}
	p.run.Lock() // the scan before ours, if any, ends first
	p.mu.Lock()
	p.next = nil // from here on, callers wait for the scan after this one
	p.mu.Unlock()
	sc.all, sc.err = scanMarked()
	p.run.Unlock()
	close(sc.done)
	return sc.all[id], sc.err
}
