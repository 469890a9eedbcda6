package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// MaybeServe runs this process as an instance server when the re-exec
// environment says so, and then returns the exit code with ok true; the
// caller must exit with it at once. Otherwise it returns ok false
// immediately and does nothing. Call it first thing in main:
//
//	if code, ok := local.MaybeServe(); ok { os.Exit(code) }
func MaybeServe() (code int, ok bool) {
	dir := os.Getenv(EnvInstance)
	if dir == "" {
		return 0, false
	}
	if p := os.Getenv(envProtocol); p != "" && p != serverProtocol {
		fmt.Fprintf(os.Stderr, "cloudinitd local instance %s: the launcher speaks protocol %s, this server (%s) %s: install both programs from the same build\n",
			dir, p, os.Args[0], serverProtocol)
		return 1, true
	}
	os.Unsetenv(envProtocol)
	// One processor: a server's work is a few sessions' crypto and
	// copying, and idle threads spinning for work to steal cost more
	// (a local boot starts one server per service on the same cores).
	runtime.GOMAXPROCS(1)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	if err := Serve(ctx, dir); err != nil {
		fmt.Fprintf(os.Stderr, "cloudinitd local instance %s: %v\n", dir, err)
		return 1, true
	}
	return 0, true
}

// Serve runs the SSH server of the instance recorded in dir until ctx ends,
// logging to <dir>/server.log. It uses the listener inherited from the
// launcher when there is one, otherwise it binds the recorded address.
func Serve(ctx context.Context, dir string) error {
	logf, err := os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	srv, err := newServer(dir, log)
	if err != nil {
		return err
	}
	ln, err := listener(srv.meta)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, readyFile), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o600); err != nil {
		ln.Close()
		return err
	}
	log.Info("serving", "id", srv.meta.ID, "addr", ln.Addr().String())
	if err := signalReady(); err != nil {
		// The launcher gave up waiting (and kills us) or is gone: serve
		// all the same, a resumed boot finds the instance by its token.
		log.Warn("telling the launcher the server is ready", "err", err)
	}
	return srv.serve(ctx, ln)
}

func listener(m meta) (net.Listener, error) {
	if fd, ok := os.LookupEnv(envListenFD); ok {
		os.Unsetenv(envListenFD)
		f, err := inheritedFile(fd, "listener")
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return net.FileListener(f)
	}
	return net.Listen("tcp", net.JoinHostPort(m.Addr, strconv.Itoa(m.Port)))
}

// inheritedFile opens the descriptor the launcher passed, named by the
// decimal fd.
func inheritedFile(fd, name string) (*os.File, error) {
	n, err := strconv.Atoi(fd)
	if err != nil || n < 3 {
		return nil, fmt.Errorf("inherited %s: bad descriptor %q", name, fd)
	}
	f := os.NewFile(uintptr(n), name)
	if f == nil {
		return nil, fmt.Errorf("inherited %s: no descriptor %d", name, n)
	}
	return f, nil
}

// server is one instance's SSH server.
type server struct {
	dir  string
	meta meta
	log  *slog.Logger
	cfg  *ssh.ServerConfig
}

func newServer(dir string, log *slog.Logger) (*server, error) {
	m, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	hk, err := os.ReadFile(filepath.Join(dir, hostKeyFile))
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(hk)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	ak, err := os.ReadFile(filepath.Join(dir, authKeysFile))
	if err != nil {
		return nil, err
	}
	allowed, _, _, _, err := ssh.ParseAuthorizedKey(ak)
	if err != nil {
		return nil, fmt.Errorf("authorized key: %w", err)
	}
	want := allowed.Marshal()
	cfg := &ssh.ServerConfig{
		// Any user name is accepted: commands run as the current user,
		// whatever the plan's ssh_username says.
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(want) {
				return nil, nil
			}
			return nil, errors.New("unknown public key")
		},
	}
	cfg.AddHostKey(signer)
	return &server{dir: dir, meta: m, log: log, cfg: cfg}, nil
}

// serve accepts connections until ctx ends, then closes them all and waits
// for their sessions (whose running commands are killed).
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		// sessions counts the connections past the SSH handshake, for
		// trimWhenIdle: a bare TCP probe (Describe dials the address)
		// is no reason to put off a trim, nor to trim 2 s after it.
		sessions int
		done     = make(chan struct{})
		changed  = make(chan struct{}, 1) // sessions changed
	)
	open := func() int {
		mu.Lock()
		defer mu.Unlock()
		return sessions
	}
	track := func(delta int) {
		mu.Lock()
		sessions += delta
		mu.Unlock()
		wake(changed)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		trimWhenIdle(done, changed, open, trimAgain, trimQuiet, trimAgain, trimIdle)
	}()
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-done:
		}
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil && !errors.Is(aerr, net.ErrClosed) {
				err = aerr
			}
			break
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handleConn(ctx, c, track)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
	close(done)
	wg.Wait()
	return err
}

// handleConn serves one connection; track(1) and track(-1) bracket
// its life after the SSH handshake.
func (s *server) handleConn(ctx context.Context, c net.Conn, track func(delta int)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	conn, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.log.Info("handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		}
		return
	}
	track(1)
	defer track(-1)
	c.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Keepalives and other global requests get a (failure) reply,
		// as OpenSSH does; that is all a keepalive needs.
		ssh.DiscardRequests(reqs)
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels are supported")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss := &session{srv: s, conn: conn, ch: ch}
			ss.run(creqs)
		}()
	}
	conn.Close()
	wg.Wait()
}
