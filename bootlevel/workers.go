package bootlevel

import "sync"

// workers runs pieces of a command's concurrent work (a level's services,
// the pre-launch's launches) on goroutines that outlive each piece: a piece
// goes to an idle worker when one waits for work, else to a new goroutine,
// or, once limit goroutines run, to the first that is done with its piece.
// A walk's workers serve every level in turn, so the stacks they grew in
// one level (a pipeline's calls grow a new goroutine's stack a few times:
// runtime.newstack, about 0.15 CPU-s of a boot of 10,000 services) serve
// the next instead of being grown again; there are about as many as pieces
// ran at once in a level, as with a goroutine per piece. One goroutine, the
// owner, hands out the pieces and calls close, which ends the workers and
// waits for them.
type workers struct {
	work    chan func() // unbuffered: a send succeeds only to a worker waiting for work
	limit   int         // 0: no bound
	started int
	busy    sync.WaitGroup // pieces handed out and not done
	live    sync.WaitGroup // the goroutines
}

// newWorkers returns workers that run at most limit pieces at once (0: no
// bound).
func newWorkers(limit int) *workers {
	return &workers{work: make(chan func()), limit: limit}
}

// run hands f to a worker; at the bound it waits until one is free.
func (w *workers) run(f func()) {
	w.busy.Add(1)
	piece := func() {
		defer w.busy.Done()
		f()
	}
	select {
	case w.work <- piece:
		return
	default:
	}
	if w.limit > 0 && w.started >= w.limit {
		w.work <- piece
		return
	}
	w.started++
	w.live.Add(1)
	go w.loop(piece)
}

// loop runs piece, then every piece handed to it, until close.
func (w *workers) loop(piece func()) {
	defer w.live.Done()
	for ok := true; ok; piece, ok = <-w.work {
		piece()
	}
}

// wait waits until every piece handed out has returned.
func (w *workers) wait() { w.busy.Wait() }

// close waits for the pieces handed out, then ends the workers and waits
// for them to return.
func (w *workers) close() {
	w.busy.Wait()
	close(w.work)
	w.live.Wait()
}
