package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"testing"
)

// helperEnv, when set in the environment of a re-executed test binary, makes
// it act as a second process holding a run's lock: it opens
// $STORE_HELPER_DIR/$STORE_HELPER_RUN, prints "locked", and closes when its
// stdin reaches EOF.
const helperEnv = "STORE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(holdLock())
	}
	os.Exit(m.Run())
}

func holdLock() int {
	db, err := Open(context.Background(), os.Getenv("STORE_HELPER_DIR"), os.Getenv("STORE_HELPER_RUN"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n') // wait for EOF
	if err := db.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}

// newRun creates a run named "r1" in a fresh directory and closes it at the
// end of the test.
func newRun(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := Create(context.Background(), dir, "r1", Run{TopConf: "/plans/top.conf", ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

// twoLevels records levels 1 and 2, each with two services, and returns the
// services as given.
func twoLevels(t *testing.T, db *DB) []Service {
	t.Helper()
	ctx := context.Background()
	ls := []Level{
		{Number: 2, Key: "level2", ConfFile: "/plans/l2.conf", Position: 1},
		{Number: 1, Key: "level1", ConfFile: "/plans/l1.conf", Position: 0},
	}
	ss := []Service{
		{Name: "web", Level: 2, Position: 0, Settings: []Setting{{Key: "image", Value: "ami-1", Source: "l2.conf [svc-web]"}}},
		{Name: "db", Level: 1, Position: 1, Settings: []Setting{{Key: "hostname", Value: "h1", Source: "l1.conf [svc-db]"}}},
		{Name: "cache", Level: 1, Position: 0},
		{Name: "app", Level: 2, Position: 1},
	}
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	return ss
}
