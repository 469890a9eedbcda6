//go:build !unix

package fake

import "os"

// lockFile is a no-op where flock is missing: the disk store is then safe
// within one process only.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
