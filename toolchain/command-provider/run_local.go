package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

type localSpec struct {
	command     string
	interpreter []string // default /bin/sh -c; the command is the last argument
	dir         string
	env         map[string]string // added to this process's environment
	stdin       *string
}

func runLocal(ctx context.Context, s localSpec, log io.Writer) (string, string, error) {
	interp := s.interpreter
	if len(interp) == 0 {
		interp = []string{"/bin/sh", "-c"}
	}
	args := append(append([]string{}, interp[1:]...), s.command)
	cmd := exec.CommandContext(ctx, interp[0], args...)
	cmd.Dir = s.dir
	cmd.Env = os.Environ()
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+s.env[k])
	}
	if s.stdin != nil {
		cmd.Stdin = strings.NewReader(*s.stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, log)
	cmd.Stderr = io.MultiWriter(&stderr, log)
	// Its own process group, so a cancel also stops what the shell started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
