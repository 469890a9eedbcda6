package main

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// scaleResult is one boot of a large plan on the fake driver.
type scaleResult struct {
	Services, Levels int
	Wall             time.Duration   // the child process, start to exit (the run of median wall)
	Walls            []time.Duration // every run's, in order
	BootWall         time.Duration   // of which Engine.Boot
	CPU              time.Duration   // user and system time of the child
	MaxRSS           int64           // peak resident set of the child, bytes (the largest of the runs)
	RecordBytes      int64           // the SQLite record (with its WAL, if any)
	// Status and Terminate of the booted run, each by a new Engine in a
	// second child (measured at scaleStatusAt services); 0: not measured.
	Status, Terminate time.Duration
	Err               string
}

// scaleBoot is one timed boot child of the scale suite.
type scaleBoot struct {
	stats       bootStats
	run         runResult
	recordBytes int64
}

// fromBoots sets r from the runs of one size: wall, boot, CPU and record
// size of the run of median wall (the lower middle one of an even
// number), every run's wall, and the largest peak RSS of them.
func (r *scaleResult) fromBoots(bs []scaleBoot) {
	if len(bs) == 0 {
		return
	}
	r.Walls = make([]time.Duration, len(bs))
	for i, b := range bs {
		r.Walls[i] = b.run.Wall
		r.MaxRSS = max(r.MaxRSS, b.run.MaxRSS)
	}
	byWall := slices.Clone(bs)
	slices.SortStableFunc(byWall, func(a, b scaleBoot) int { return cmp.Compare(a.run.Wall, b.run.Wall) })
	m := byWall[(len(byWall)-1)/2]
	r.Wall, r.CPU, r.RecordBytes = m.run.Wall, m.run.CPU, m.recordBytes
	r.BootWall = time.Duration(m.stats.BootMS * float64(time.Millisecond))
}

// The goals of issue 17 for the scale suite.
const (
	scaleStatusAt = 10000 // status and terminate are timed at this size
	scaleMaxRatio = 11.0  // wall(100k)/wall(10k): linear is 10
	scaleMaxCmd   = time.Second
)

// scaleGoal is the wall time and peak RSS allowed at one size.
type scaleGoal struct {
	Services int
	Wall     time.Duration
	RSS      int64
}

func scaleGoals() []scaleGoal {
	return []scaleGoal{
		{10000, 1500 * time.Millisecond, 150 << 20},
		{100000, 15 * time.Second, 1536 << 20},
	}
}

// scaleTarget is one line of the scale suite's targets table.
type scaleTarget struct {
	What, Value, Target, Met string
}

// scaleTargets checks every goal the results allow; a goal whose size did
// not run (or failed) is "n/a".
func scaleTargets(rs []scaleResult) []scaleTarget {
	at := map[int]scaleResult{}
	for _, r := range rs {
		at[r.Services] = r
	}
	ok := func(n int) (scaleResult, bool) {
		r, found := at[n]
		return r, found && r.Err == ""
	}
	var out []scaleTarget
	for _, g := range scaleGoals() {
		r, ran := ok(g.Services)
		wall := scaleTarget{What: fmt.Sprintf("%d services: wall", g.Services), Target: "≤ " + secs(g.Wall), Value: "n/a", Met: "n/a"}
		rss := scaleTarget{What: fmt.Sprintf("%d services: peak RSS", g.Services), Target: "≤ " + mib(g.RSS), Value: "n/a", Met: "n/a"}
		if ran {
			wall.Value, wall.Met = secs(r.Wall), yesNo(r.Wall <= g.Wall)
			rss.Value, rss.Met = mib(r.MaxRSS), yesNo(r.MaxRSS <= g.RSS)
		}
		out = append(out, wall, rss)
	}
	ratio := scaleTarget{What: "wall 100,000 / wall 10,000", Target: fmt.Sprintf("≤ %.0f", scaleMaxRatio), Value: "n/a", Met: "n/a"}
	if big, ok1 := ok(100000); ok1 {
		if small, ok2 := ok(10000); ok2 {
			v := big.Wall.Seconds() / small.Wall.Seconds()
			ratio.Value, ratio.Met = fmt.Sprintf("%.1f", v), yesNo(v <= scaleMaxRatio)
		}
	}
	out = append(out, ratio)
	r, ran := at[scaleStatusAt]
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"status", r.Status}, {"terminate", r.Terminate}} {
		t := scaleTarget{What: fmt.Sprintf("%s of the %d-service run", c.name, scaleStatusAt), Target: "≤ " + secs(scaleMaxCmd), Value: "n/a", Met: "n/a"}
		if ran && c.d > 0 {
			t.Value, t.Met = secs(c.d), yesNo(c.d <= scaleMaxCmd)
		}
		out = append(out, t)
	}
	return out
}
