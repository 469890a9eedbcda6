package main

import (
	"fmt"
	"time"
)

// Goals of the engine issue for 10,000 services.
const (
	scaleMaxWall = 5 * time.Second
	scaleMaxRSS  = 300 << 20
	scaleGoalAt  = 10000
)

// scaleResult is one boot of a large plan on the fake driver.
type scaleResult struct {
	Services, Levels int
	Wall             time.Duration // the child process, start to exit
	BootWall         time.Duration // of which Engine.Boot
	CPU              time.Duration // user and system time of the child
	MaxRSS           int64         // peak RSS of the child process, bytes
	RecordBytes      int64         // the SQLite record (with its WAL, if any)
	Err              string
}

func (s scaleResult) target() string {
	if s.Services != scaleGoalAt {
		return "—"
	}
	return fmt.Sprintf("≤ %s, ≤ %d MiB", scaleMaxWall, scaleMaxRSS>>20)
}

func (s scaleResult) met() string {
	if s.Services != scaleGoalAt {
		return ""
	}
	return yesNo(s.Wall <= scaleMaxWall && s.MaxRSS <= scaleMaxRSS)
}
