package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// report is everything one run of the harness measured.
type report struct {
	Date    string
	Machine []string // "key: value" lines
	LoadEnd string   // load average when the last suite ended
	Reps    int
	Warmup  int
	Fanout  []fanoutResult
	Scale   []scaleResult
	Overlap []overlapResult
	EPU     []epuResult
	Local   []localResult
}

// ratioTarget is a ratio of medians issue 17 sets a goal for; Max 0 is a
// reference without a goal.
type ratioTarget struct {
	Num, Den string
	Max      float64
}

// fanoutTargets are the goals for the SSH fan-out, at every N: against the
// same-work floor, parallel-ssh and ansible; the bare floor (connect and
// `true`) is shown for reference.
func fanoutTargets() []ratioTarget {
	return []ratioTarget{
		{"cloudinitd", "samework", 1.15},
		{"cloudinitd", "parallel-ssh", 0.20},
		{"cloudinitd", "ansible", 0.03},
		{"cloudinitd", "floor", 0},
		{"samework", "floor", 0},
	}
}

// write renders r as markdown, which reads as well in a terminal.
func (r report) write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Benchmark run %s\n\n", r.Date)
	for _, m := range r.Machine {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	if len(r.Fanout) > 0 {
		fmt.Fprintf(&b, "\n### SSH fan-out (one level of N services on N sshd hosts)\n\n")
		fmt.Fprintf(&b, "Median of %d timed runs after %d warm-up run(s); every contender measured in this run on the same hosts.\n\n", r.Reps, r.Warmup)
		b.WriteString("machine CPU: the time the machine's CPUs were busy during the run (median), all processes: the contender, sshd and the programs, and whatever else ran. " +
			"run CPU: the CPU time of the run's own processes alone (median): the contender and what it waited for, the sshd connection and session processes, the programs they ran.\n\n")
		b.WriteString("floor: connect and `true` only (reference); samework: the same-work floor, the plan's remote work on x/crypto/ssh and pkg/sftp with nothing else.\n\n")
		b.WriteString("| login | N | contender | median wall | runs | machine CPU | run CPU | note |\n|---|---:|---|---:|---|---:|---:|---|\n")
		for _, f := range r.Fanout {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", f.Login, f.N, f.Contender, secs(f.Median()), runs(f.Walls),
				cpuSecs(f.CPUs), cpuSecs(f.RunCPUs), note(f))
		}
		for _, f := range r.Fanout {
			if f.Detail != "" {
				fmt.Fprintf(&b, "\n%s N=%d: %s\n", f.Login, f.N, f.Detail)
			}
		}
		b.WriteString("\nvalue: the ratio of median wall times (the targets); by run CPU: the same ratio of the runs' own CPU time (reference). " +
			"A goal is marked unattainable where the bare floor (connect and `true`, no work) measured in this run is itself above it: " +
			"no contender doing the plan's work on these hosts can meet it.\n\n")
		b.WriteString("| login | N | ratio | value | target | met | by run CPU |\n|---|---:|---|---:|---:|---|---:|\n")
		for _, k := range fanoutKeys(r.Fanout) {
			for _, t := range fanoutTargets() {
				target := "—"
				if t.Max > 0 {
					target = fmt.Sprintf("≤ %.2f", t.Max)
				}
				v, ok := ratio(r.Fanout, k, t.Num, t.Den, fanoutResult.Median)
				byCPU := "—"
				if c, ok := ratio(r.Fanout, k, t.Num, t.Den, fanoutResult.MedianRunCPU); ok {
					byCPU = fmt.Sprintf("%.2f", c)
				}
				switch {
				case !ok && t.Max > 0:
					fmt.Fprintf(&b, "| %s | %d | %s/%s | n/a | %s | n/a | %s |\n", k.login, k.n, t.Num, t.Den, target, byCPU)
				case !ok: // a reference that did not run: nothing to show
				case t.Max > 0:
					fmt.Fprintf(&b, "| %s | %d | %s/%s | %.2f | %s | %s | %s |\n", k.login, k.n, t.Num, t.Den, v, target, metAgainstFloor(r.Fanout, k, t, v), byCPU)
				default:
					fmt.Fprintf(&b, "| %s | %d | %s/%s | %.2f | %s | | %s |\n", k.login, k.n, t.Num, t.Den, v, target, byCPU)
				}
			}
		}
	}
	if len(r.Scale) > 0 {
		b.WriteString("\n### Scale (fake driver in memory, zero latency, dry-run executor)\n\n")
		b.WriteString("| services | levels | wall | runs | of which boot | CPU | peak RSS | record size | status | terminate |\n|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range r.Scale {
			if s.Err != "" {
				fmt.Fprintf(&b, "| %d | %d | %s (failed: %s) | %s | | | %s | | | |\n", s.Services, s.Levels, secs(s.Wall), firstLine(s.Err), runs(s.Walls), mib(s.MaxRSS))
				continue
			}
			fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Services, s.Levels, secs(s.Wall), runs(s.Walls),
				secs(s.BootWall), secs(s.CPU), mib(s.MaxRSS), mib(s.RecordBytes), secs(s.Status), secs(s.Terminate))
		}
		b.WriteString("\nwall: the child process (plan load, record, boot), the median of the runs (runs: each run's, in order; a run is a boot of the plan into a new record); of which boot, CPU (user and system time) and record size: of the median run; peak RSS: the largest of the runs. " +
			"status and terminate: each by a new Engine on the booted record, in a second child.\n\n")
		b.WriteString("| target | value | goal | met |\n|---|---:|---:|---|\n")
		for _, t := range scaleTargets(r.Scale) {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Value, t.Target, t.Met)
		}
	}
	if len(r.Overlap) > 0 {
		b.WriteString("\n### Overlap (pre-launch: wall time over the critical path)\n\n")
		b.WriteString("| plan | wall | critical path | ratio | target | met |\n|---|---:|---:|---:|---:|---|\n")
		for _, o := range r.Overlap {
			target, met := "—", ""
			if o.Max > 0 {
				target = fmt.Sprintf("≤ %.2f", o.Max)
			}
			if o.Err != "" {
				fmt.Fprintf(&b, "| %s | failed | %s | | %s | %s |\n", o.Plan, secs(o.Critical), target, firstLine(o.Err))
				continue
			}
			v := o.Wall.Seconds() / o.Critical.Seconds()
			if o.Max > 0 {
				met = yesNo(v <= o.Max)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.3f | %s | %s |\n", o.Plan, secs(o.Wall), secs(o.Critical), v, target, met)
		}
	}
	if len(r.EPU) > 0 {
		writeEPU(&b, r.EPU)
	}
	if len(r.Local) > 0 {
		b.WriteString("\n### Local driver (one level of services, `cloudinitd boot` and `terminate` of the built program)\n\n")
		b.WriteString("| services | boot | local floor | boot / floor | terminate | idle instance RSS (median, max) | PSS (median) | machine peak | note |\n|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, l := range r.Local {
			var notes []string
			if l.FloorErr != "" {
				notes = append(notes, "floor failed: "+firstLine(l.FloorErr))
			}
			if l.Err != "" {
				notes = append(notes, "failed: "+firstLine(l.Err))
			}
			floor, ratio := "n/a", "n/a"
			if l.FloorErr == "" && l.Floor > 0 {
				floor = secs(l.Floor)
				if l.Err == "" {
					ratio = fmt.Sprintf("%.2f", l.Boot.Seconds()/l.Floor.Seconds())
				}
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s, %s | %s | +%s | %s |\n", l.Services, secs(l.Boot), floor, ratio, secs(l.Terminate),
				mib(l.RSSMedian), mib(l.RSSMax), mib(l.PSSMedian), mib(l.MachinePeak), strings.Join(notes, "; "))
		}
		b.WriteString("\nlocal floor: a bare x/crypto/ssh program starting the same instance server program per service and doing the plan's work over one connection each, " +
			"with no plan, record, engine or events (docs/performance.md, method 5), run just before the boot. " +
			"idle: 5 s after the boot, no connection for longer than the server's trim delay. " +
			"machine peak: the most MemTotal - MemAvailable rose above its level before the boot, during the boot and the idle wait.\n\n")
		b.WriteString("| target | value | goal | met |\n|---|---:|---:|---|\n")
		for _, l := range r.Local {
			if l.Services != localServices {
				continue
			}
			ok := l.Err == ""
			met := func(v bool) string {
				if !ok {
					return "n/a"
				}
				return yesNo(v)
			}
			fmt.Fprintf(&b, "| %d local services: boot | %s | ≤ %s | %s |\n", l.Services, secs(l.Boot), secs(localMaxBoot), met(l.Boot <= localMaxBoot))
			fmt.Fprintf(&b, "| resident set of an idle instance (max) | %s | ≤ %s | %s |\n", mib(l.RSSMax), mib(localMaxRSS), met(l.RSSMax > 0 && l.RSSMax <= localMaxRSS))
		}
	}
	if r.LoadEnd != "" {
		fmt.Fprintf(&b, "\nload average at end (1, 5, 15 min): %s\n", r.LoadEnd)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fanoutKey is one login at one N.
type fanoutKey struct {
	login string
	n     int
}

// ratio is of(num)/of(den) at k (a median of each), when both ran.
func ratio(rs []fanoutResult, k fanoutKey, num, den string, of func(fanoutResult) time.Duration) (float64, bool) {
	var a, d time.Duration
	for _, r := range rs {
		if r.Login != k.login || r.N != k.n || len(r.Walls) == 0 || r.Err != "" {
			continue
		}
		switch r.Contender {
		case num:
			a = of(r)
		case den:
			d = of(r)
		}
	}
	if a == 0 || d == 0 {
		return 0, false
	}
	return a.Seconds() / d.Seconds(), true
}

// fanoutKeys are the distinct logins and Ns, in order of appearance.
func fanoutKeys(rs []fanoutResult) []fanoutKey {
	var ks []fanoutKey
	for _, r := range rs {
		k := fanoutKey{r.Login, r.N}
		if len(ks) == 0 || ks[len(ks)-1] != k {
			ks = append(ks, k)
		}
	}
	return ks
}

func note(f fanoutResult) string {
	switch {
	case f.Skipped != "":
		return "skipped: " + f.Skipped
	case f.Err != "":
		return "failed: " + firstLine(f.Err)
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.ReplaceAll(s, "|", "\\|")
}

func runs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.2f", d.Seconds())
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// cpuSecs is the median of CPU times, "—" when unmeasured.
func cpuSecs(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f s", median(ds).Seconds())
}

// metAgainstFloor marks whether v meets t, and says so when the bare floor
// of the same run does not meet it either: a goal below what connecting and
// running `true` costs cannot be met by doing the plan's work on these hosts.
func metAgainstFloor(rs []fanoutResult, k fanoutKey, t ratioTarget, v float64) string {
	met := yesNo(v <= t.Max)
	if f, ok := ratio(rs, k, "floor", t.Den, fanoutResult.Median); ok && f > t.Max {
		met += fmt.Sprintf(" (unattainable: floor/%s is %.2f)", t.Den, f)
	}
	return met
}
