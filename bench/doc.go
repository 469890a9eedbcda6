// Command bench measures cloudinitd against its peers, each in the same run
// on the same machine, and prints one report (docs/performance.md explains
// the method and keeps the latest figures):
//
//   - SSH fan-out: one level of N services on N real OpenSSH sshd hosts on
//     127.66.0.x, each host doing the same upload-and-run of a boot and a
//     ready program, by cloudinitd, parallel-ssh/parallel-scp, ansible, the
//     same-work floor (a bare x/crypto/ssh and pkg/sftp program doing that
//     work and nothing else) and a bare floor that only runs `true`; by
//     default logged in as a throwaway ordinary account (-user);
//   - scale: 1,000, 10,000 and 100,000 services over 10 levels on the fake
//     driver in memory with the engine's dry-run executor: wall time, CPU,
//     peak RSS of the child process, the size of the SQLite record, and
//     status and terminate of the 10,000-service run;
//   - overlap: a 5-level plan whose least possible boot time is known, on
//     the fake driver with start-up latency: wall time over that time;
//   - local: 200 services on the local driver booted by the built
//     cloudinitd (built as the release builds it): the boot's wall time
//     beside the local floor's (a bare program starting the same instance
//     server per service and doing the plan's work over one connection
//     each, nothing else), every idle instance server's resident and
//     proportional set, the machine's peak memory in use.
//
// Usage:
//
//	go run ./bench [-suites ssh,scale,overlap,local,epu] [-n 20,50,100] [-user new,root] [-reps 3] [-o report.md]
//
// Every timed contender runs as a child process (the harness re-executes
// itself for the floors and for cloudinitd; -cpuprofile and -memprofile of
// "child boot" profile the engine). The harness is the child
// subreaper of everything it starts: it ends every sshd, ssh ControlPersist
// master and session process, and removes its temporary directory, also on
// error or the first Ctrl-C (the second quits at once; the kernel then
// kills the sshd listeners, which have a parent-death signal).
//
// bench is not part of CI and has no timed tests; it may import anything.
package main
