package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecondSignalSaysLast: a second Ctrl-C's last words (exiting now, the
// hints) are the last lines on stderr and in the transcript, though the
// boot goes on printing progress lines until the process exits; the
// first Ctrl-C's note and the progress before the exit are there.
func TestSecondSignalSaysLast(t *testing.T) {
	sigs := &Signals{}
	var stderr lockedBuffer
	errw, _ := sigs.Guard(&stderr)
	tr := &Transcript{signals: sigs}
	path := filepath.Join(t.TempDir(), "transcript")
	if err := tr.Open(path, false); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sigs.ExitHints("continue with: cloudinitd boot --resume r1", "or take it down: cloudinitd terminate r1")

	// The boot: a progress line to stderr and the transcript, again and
	// again, each one told on wrote, until stop.
	wrote, stop := make(chan int), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			line := fmt.Sprintf("level 1 service web: progress %d\n", i)
			io.WriteString(errw, line)
			tr.Write([]byte(line))
			select {
			case wrote <- i:
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	<-wrote

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	h := handler{errw: io.MultiWriter(errw, tr), prog: Name, note: "stopping gracefully", sigs: sigs,
		cancel: cancel, closed: func() bool { return false }, exit: func(code int) { exited <- code }}
	ch, done := make(chan os.Signal, 2), make(chan struct{})
	ch <- os.Interrupt
	ch <- os.Interrupt
	h.watch(ch, done) // returns once exit was called
	if code := <-exited; code != ExitInterrupted {
		t.Errorf("exit code %d, want %d", code, ExitInterrupted)
	}
	if ctx.Err() == nil {
		t.Error("the first Ctrl-C did not cancel the context")
	}
	// The boot goes on printing until the process exits.
	for range 3 {
		<-wrote
	}

	want := []string{
		"cloudinitd: interrupted again: exiting now",
		"cloudinitd: hint: continue with: cloudinitd boot --resume r1",
		"cloudinitd: hint: or take it down: cloudinitd terminate r1",
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, text string }{
		{"stderr", stderr.String()},
		{"transcript", string(b)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(tc.text, "\n"), "\n")
			if n := len(lines); n < len(want) {
				t.Fatalf("%d lines:\n%s", n, tc.text)
			}
			if diff := cmp.Diff(want, lines[len(lines)-len(want):]); diff != "" {
				t.Errorf("the last lines (-want +got):\n%s\nall:\n%s", diff, tc.text)
			}
			if !strings.Contains(tc.text, "progress 0\n") {
				t.Errorf("the progress before the exit is missing:\n%s", tc.text)
			}
		})
	}
	if !strings.Contains(stderr.String(), "cloudinitd: interrupted: stopping gracefully (press Ctrl-C again to exit at once)\n") {
		t.Errorf("the first Ctrl-C's note is missing:\n%s", stderr.String())
	}
}

// signalAfterStopEnv makes the test binary the child of TestSignalAfterStop.
const signalAfterStopEnv = "CLOUDINITD_TEST_SIGNAL_AFTER_STOP"

// TestSignalAfterStop: a SIGINT between SignalContext's stop and os.Exit
// (main's defer stop(), then os.Exit with the command's code) does not end
// the process by the signal: it exits with its code. The child sends the
// SIGINT to its own thread (tgkill), so it is handled before the call
// returns: released to the default action, it would kill the child there.
func TestSignalAfterStop(t *testing.T) {
	if os.Getenv(signalAfterStopEnv) == "1" {
		_, stop := SignalContext(context.Background(), io.Discard, Name, "stopping", &Signals{})
		stop()
		runtime.LockOSThread()
		if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGINT); err != nil {
			fmt.Fprintln(os.Stderr, "tgkill:", err)
			os.Exit(1)
		}
		os.Exit(ExitInterrupted)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalAfterStop$")
	cmd.Env = append(os.Environ(), signalAfterStopEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("child: %v (exit code %d), want exit code %d\n%s", err, exitCode(err), ExitInterrupted, out)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return 0
}
