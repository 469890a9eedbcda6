package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

// newRun is a run createRun recorded: its record, open and holding the
// run's lock; the image of what was recorded for the boot
// (bootlevel.BootOptions.Recorded; nil after -x, whose checks read the
// record); and the directories made for the record.
type newRun struct {
	db   *store.DB
	rec  *bootlevel.Recorded
	dirs madeDirs
}

// discard deletes the new run's record, then the directories made for it
// if they are empty: for a boot that launched nothing and leaves nothing.
// Without a record (db nil) only the directories go.
func (r newRun) discard() error {
	var err error
	if r.db != nil {
		err = r.db.Delete() // closes it
	}
	return errors.Join(err, r.dirs.removeEmpty())
}

// createRun loads the plan and records it under a new run (-n, or a
// random name), checked with -x when asked. Nothing is launched; on an
// error nothing is left, not even the record directory if this boot made
// it (madeDirs).
//
// The record is made while the plan loads (its schema and run row cost a
// few fsyncs), under the plan's top file as plan.Load names it; a plan that
// does not load removes it again. The errors come in the order they did
// when the record was made after the load: the plan's, -n's, the record's.
func createRun(ctx context.Context, o options, env cl.Env, planPath string) (newRun, error) {
	run := o.Name
	if run == "" {
		run = newRunName()
	}
	nameErr := store.ValidateName(run)
	made := make(chan createdRecord, 1)
	if nameErr == nil {
		top, _ := filepath.Abs(env.ExpandHome(planPath)) // plan.Load's TopFile; on an error the load fails too
		go func() { made <- createRecord(ctx, o.DBDir, run, top) }()
	} else {
		made <- createdRecord{err: nameErr}
	}
	p, err := loadPlan(ctx, planPath, o, env)
	c := <-made
	switch {
	case err != nil: // the plan's errors first
	case nameErr != nil:
		err = cl.Usagef("-n: %v", nameErr)
	case errors.Is(c.err, store.ErrExists):
		err = cl.WithHint(c.err, fmt.Sprintf("pick another name with -n, or use 'cloudinitd reboot %s' or 'cloudinitd boot --resume %s'", run, run))
	default:
		err = c.err
	}
	if err != nil {
		// Nothing was launched: leave nothing, the directories made included.
		if derr := (newRun{db: c.db, dirs: c.dirs}).discard(); derr != nil {
			err = errors.Join(err, derr)
		}
		return newRun{}, err
	}
	r := newRun{db: c.db, dirs: c.dirs}
	top := p.TopFile
	// p is not used past RecordImage, which lets the loaded plan go while the
	// record is written.
	r.rec, err = bootlevel.RecordImage(ctx, r.db, p)
	if err != nil {
		return newRun{}, errors.Join(err, r.discard())
	}
	if o.Validate {
		r.rec = nil
		if err := validateRun(ctx, o, env, r.db, "the boot plan is not valid", "nothing was launched"); err != nil {
			// Nothing was launched: leave nothing behind either.
			return newRun{}, errors.Join(err, r.discard())
		}
		progress(o, env, "plan %s is valid", displayPath(top))
	}
	return r, nil
}

// createdRecord is what createRecord made.
type createdRecord struct {
	db   *store.DB
	dirs madeDirs
	err  error
}

// createRecord makes the record directory (what of it is missing) and the
// run's record in it (store.Create).
func createRecord(ctx context.Context, dir, run, top string) createdRecord {
	dirs, err := makeRecordDir(dir)
	if err != nil {
		return createdRecord{dirs: dirs, err: fmt.Errorf("create run %s: %w", run, err)}
	}
	db, err := store.Create(ctx, dir, run, store.Run{TopConf: top})
	return createdRecord{db, dirs, err}
}
