package store

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestOwner records this process as a run's owner and reads it back alive;
// a finished child process, and this pid with another start time (a
// reused pid), are gone; an owner on another host cannot be judged.
func TestOwner(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	me, err := ThisProcess("run")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetOwner(ctx, me); err != nil {
		t.Fatal(err)
	}
	r, err := db.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Owner != me {
		t.Fatalf("owner read back %+v, want %+v", r.Owner, me)
	}
	if s := r.Owner.State(); s != OwnerAlive {
		t.Errorf("this process as owner: state %v, want alive", s)
	}
	child := exec.Command("true")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	gone := me
	gone.PID = child.Process.Pid
	if s := gone.State(); s != OwnerGone {
		t.Errorf("a finished process as owner: state %v, want gone", s)
	}
	zombie := exec.Command("sleep", "60")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zombie.Wait() })
	zombie.Process.Kill()
	waitZombie(t, zombie.Process.Pid)
	zo := me
	zo.PID = zombie.Process.Pid
	zo.Start, _, _ = processStart(zombie.Process.Pid)
	if s := zo.State(); s != OwnerGone {
		t.Errorf("a killed owner not reaped yet (zombie): state %v, want gone", s)
	}
	reused := me
	reused.Start += "0"
	if s := reused.State(); s != OwnerGone {
		t.Errorf("a live pid with another start time: state %v, want gone", s)
	}
	far := me
	far.Host += "-elsewhere"
	if s := far.State(); s != OwnerUnknown {
		t.Errorf("an owner on another host: state %v, want unknown", s)
	}
	if err := db.SetOwner(ctx, Owner{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Run(ctx); !r.Owner.IsZero() || r.Owner.State() != OwnerNone {
		t.Errorf("owner after clearing: %+v", r.Owner)
	}
}

// waitZombie waits until pid is a zombie (killed, not reaped).
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, dead, err := processStart(pid); err == nil && dead {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not become a zombie", pid)
}
