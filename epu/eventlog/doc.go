// Package eventlog buffers the JSON event lines the epu daemons write to
// their log files. Each line was one write system call, which under load
// (10,000 workers, several lines per worker) cost more CPU than forming
// the line and held the slog handler's lock through the call. Lines are
// written in order, at most a flush period after they were handed over,
// at once when the buffer fills, and on Close: a clean exit loses none; a
// process killed outright loses at most the last period's lines.
package eventlog
