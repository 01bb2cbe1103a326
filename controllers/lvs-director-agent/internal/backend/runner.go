package backend

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// Runner runs one command with optional stdin and returns its stdout.
type Runner interface {
	Run(ctx context.Context, stdin string, name string, args ...string) (string, error)
}

// ExecRunner runs real processes.
type ExecRunner struct{}

func (ExecRunner) Run(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Call is one recorded command.
type Call struct {
	Cmd   string // command line, arguments joined by spaces
	Stdin string
}

// RecordingRunner records commands and answers them from canned outputs:
// the data-plane dialects are tested against recorded expectations because
// this kernel has no IPVS and no DPVS.
type RecordingRunner struct {
	mu      sync.Mutex
	Calls   []Call
	Outputs map[string]string // command line → stdout
	Fail    map[string]error  // command line → error
}

func (r *RecordingRunner) Run(_ context.Context, stdin string, name string, args ...string) (string, error) {
	line := strings.TrimSpace(name + " " + strings.Join(args, " "))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls = append(r.Calls, Call{Cmd: line, Stdin: stdin})
	if err := r.Fail[line]; err != nil {
		return "", err
	}
	return r.Outputs[line], nil
}
