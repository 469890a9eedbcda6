// Package fake is a simulated cloud for tests, dry runs and benchmarks: a
// real [iaas.Driver] whose instances are records, not machines, with
// latency and fault knobs.
//
// Instances persist across processes: each is one JSON file in the state
// directory (cfg.StateDir/fake), written atomically (temporary file and
// rename) under an flock on a lock file, so several processes — a boot and a
// later status or terminate — share one cloud. Memory mode keeps instances in
// the process only, for benchmarks and dry runs. Files are not fsynced: a
// machine crash may lose a simulated instance.
//
// Ids are "fake-" and 8 hex digits, derived from the client token so that a
// repeated Launch finds the first instance from any process. A state is never
// stored; it is computed from timestamps: pending until launch time plus the
// running delay, then running (hostname "localhost", addresses 127.0.0.1)
// until the die-after time, then failed (Err of class ErrTransient);
// terminate makes it terminating, then terminated after the terminate delay.
//
// Knobs, per service from LaunchSpec.Options, or for every service from the
// environment (read through the injected lookup, never os.Getenv):
//
//	fake_launch_delay     CLOUDINITD_FAKE_LAUNCH_DELAY     Launch call latency (0)
//	fake_running_delay    CLOUDINITD_FAKE_RUNNING_DELAY    pending -> running (1s; also
//	                      CLOUDINITD_CBIAAS_TEST_HOSTNAME_TIME, the original name)
//	fake_terminate_delay  CLOUDINITD_FAKE_TERMINATE_DELAY  terminating -> terminated (1s)
//	fake_die_after        CLOUDINITD_FAKE_DIE_AFTER        running -> failed after this (never)
//	fake_error_rate       CLOUDINITD_FAKE_ERROR_RATE       share of launches failing ErrTransient (0)
//	fake_seed             CLOUDINITD_FAKE_SEED             seed of that draw (0)
//	fake_capacity         CLOUDINITD_FAKE_CAPACITY         max live instances, beyond: ErrCapacity (0: none)
//	fake_dry_run          CLOUDINITD_FAKE_DRY_RUN          every delay 0; Handle says dry_run
//
// Delays are seconds ("1.5") or Go durations ("500ms"). A bad value fails the
// launch with ErrPermanent naming the key or variable. The error draw is
// deterministic: it hashes the seed, the launch (run name, service,
// attempt) and the number of launch calls this driver has seen for it, so a
// retry draws anew and every run of a plan draws alike.
// fake_capacity counts pending and running instances of the whole fake cloud
// and reads every record when set. A dry-run instance runs on "localhost" like
// any other; [DecodeHandle] tells it apart. CLOUDINITD_FAKE_MEMORY=true makes
// [Factory] use Memory mode.
//
// FindByRun lists every instance launched for a run (from the records, so
// also those whose ids the caller never recorded), each with its Service and
// ClientToken: the engine's optional RunFinder ability.
//
// fake imports only iaas.
package fake
