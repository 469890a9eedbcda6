package main

import "time"

// overlapResult is one boot of a plan whose least possible time is known.
type overlapResult struct {
	Plan     string
	Wall     time.Duration
	Critical time.Duration // the least possible wall time
	Max      float64       // goal for Wall/Critical; 0: for information
	Err      string
}
