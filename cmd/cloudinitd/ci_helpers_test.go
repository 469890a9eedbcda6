package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dialSSH is the test program "dialssh HOST": a COMMAND of 'cloudinitd run'
// reaching a service at the hostname its environment gives. It connects
// to HOST's SSH port (the port the local driver's instance at HOST
// listens on, read from $CLOUDINITD_DB_DIR/local/*/meta.json, since
// without root it is not 22) and reads the server's SSH banner.
func dialSSH(args []string) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintln(os.Stderr, "usage: dialssh HOST (got an empty or missing HOST)")
		return 2
	}
	host := args[0]
	port := 22
	metas, _ := filepath.Glob(filepath.Join(os.Getenv("CLOUDINITD_DB_DIR"), "local", "local-*", "meta.json"))
	for _, m := range metas {
		var meta struct {
			Addr string `json:"addr"`
			Port int    `json:"port"`
		}
		if b, err := os.ReadFile(m); err == nil && json.Unmarshal(b, &meta) == nil && meta.Addr == host {
			port = meta.Port
		}
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialssh:", err)
		return 1
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	banner, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(banner, "SSH-2.0-") {
		fmt.Fprintf(os.Stderr, "dialssh: %s:%d: no SSH banner (%q, %v)\n", host, port, banner, err)
		return 1
	}
	fmt.Printf("dialssh: %s answers SSH\n", host)
	return 0
}

// untilOrphan is the test program "untilorphan FILE": it creates FILE,
// then waits until its parent process is gone (a COMMAND whose 'cloudinitd
// run' was killed) and exits, so that it never outlives a test.
func untilOrphan(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: untilorphan FILE")
		return 2
	}
	parent := os.Getppid()
	if err := os.WriteFile(args[0], []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for os.Getppid() == parent {
		time.Sleep(50 * time.Millisecond)
	}
	return 0
}
