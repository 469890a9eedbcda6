package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ansiblePlaybook creates the stage directory, uploads both programs with
// copy and runs them with command, per host ({{ stage }} is a host variable).
func ansiblePlaybook(progs Programs) string {
	return `- hosts: all
  gather_facts: false
  tasks:
    - name: stage directory
      file: path={{ stage }} state=directory mode=0755
    - name: upload boot program
      copy: src=` + progs.Boot + ` dest={{ stage }}/` + bootName + ` mode=0755
    - name: upload ready program
      copy: src=` + progs.Ready + ` dest={{ stage }}/` + readyName + ` mode=0755
    - name: boot
      command: ./` + bootName + ` chdir={{ stage }}
    - name: ready
      command: ./` + readyName + ` chdir={{ stage }}
`
}

// ansibleConfig is ansible.cfg: forks = N, no host key checking, no fact
// gathering, ssh pipelining and ControlPersist (connection reuse), every
// temporary and control directory inside the bench's own directory.
func ansibleConfig(forks int, work string) string {
	return fmt.Sprintf(`[defaults]
inventory = %[2]s/inventory.ini
forks = %[1]d
host_key_checking = False
gathering = explicit
interpreter_python = /usr/bin/python3
remote_tmp = %[2]s/remote-tmp
local_tmp = %[2]s/local-tmp
retry_files_enabled = False
deprecation_warnings = False
timeout = 30

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o BatchMode=yes
control_path_dir = %[2]s/cp
control_path = %%(directory)s/%%%%C
`, forks, work)
}

// ansibleInventory names every host with its address, port, user, key and
// stage directory.
func ansibleInventory(h *Hosts, sub string) string {
	var b strings.Builder
	b.WriteString("[all]\n")
	for i, addr := range h.Addrs {
		fmt.Fprintf(&b, "h%03d ansible_host=%s ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s stage=%s\n",
			i+1, addr, h.Port, h.User, h.KeyPath, filepath.Join(h.Stage(i), sub))
	}
	return b.String()
}

// ansibleContender is ansible-playbook (Debian package ansible, on
// /usr/bin/python3) running ansiblePlaybook with forks = N.
func ansibleContender(h *Hosts, progs Programs, work string) contender {
	const sub = "ansible"
	dir := filepath.Join(work, "ansible")
	return contender{
		name:      "ansible",
		needs:     []string{"ansible-playbook"},
		stageDirs: subDirs(h, sub),
		prepare: func() error {
			// remote_tmp is on the hosts, which share this filesystem
			// (made first, so that its parent is 0755 too).
			if err := h.login.own(filepath.Join(dir, "remote-tmp")); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(dir, "cp"), 0o700); err != nil {
				return err
			}
			files := map[string]string{
				"ansible.cfg":   ansibleConfig(len(h.Addrs), dir),
				"inventory.ini": ansibleInventory(h, sub),
				"playbook.yml":  ansiblePlaybook(progs),
			}
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		run: func(ctx context.Context) error {
			cmd := command(ctx, "ansible-playbook", "playbook.yml")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"ANSIBLE_CONFIG="+filepath.Join(dir, "ansible.cfg"),
				"ANSIBLE_HOME="+filepath.Join(dir, "home"),
				"ANSIBLE_NOCOLOR=1",
				"ANSIBLE_FORKS="+strconv.Itoa(len(h.Addrs)),
			)
			_, err := runTimed(cmd)
			return err
		},
	}
}
