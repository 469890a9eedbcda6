// Command bench measures cloudinitd against its peers, each in the same run
// on the same machine, and prints one report (docs/performance.md explains
// the method and keeps the latest figures):
//
//   - SSH fan-out: one level of N services on N real OpenSSH sshd hosts on
//     127.66.0.x, each host doing the same upload-and-run of a boot and a
//     ready program, by cloudinitd, parallel-ssh/parallel-scp, ansible and
//     a bare golang.org/x/crypto/ssh floor that only runs `true`;
//   - scale: 1,000 and 10,000 services over 10 levels on the fake driver in
//     memory with the engine's dry-run executor: wall time, peak RSS of the
//     child process and the size of the SQLite record;
//   - overlap: a 5-level plan whose least possible boot time is known, on
//     the fake driver with start-up latency: wall time over that time.
//
// Usage:
//
//	go run ./bench [-suites ssh,scale,overlap] [-n 20,50] [-reps 3] [-o report.md]
//
// Every timed contender runs as a child process (the harness re-executes
// itself for the floor and for cloudinitd). The harness is the child
// subreaper of everything it starts: it ends every sshd, ssh ControlPersist
// master and session process, and removes its temporary directory, also on
// error or the first Ctrl-C (the second quits at once; the kernel then
// kills the sshd listeners, which have a parent-death signal).
//
// bench is not part of CI and has no timed tests; it may import anything.
package main
