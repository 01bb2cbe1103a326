package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type connSpec struct {
	host       string
	port       int
	user       string
	password   string
	privateKey string
}

type remoteSpec struct {
	command string
	env     map[string]string
	stdin   *string
}

func connectionOf(props resource.PropertyMap) (connSpec, error) {
	c := plain(props["connection"])
	if !c.IsObject() {
		return connSpec{}, errors.New("connection is missing")
	}
	obj := c.ObjectValue()
	spec := connSpec{
		host:       getString(obj, "host"),
		user:       getString(obj, "user"),
		password:   getString(obj, "password"),
		privateKey: getString(obj, "privateKey"),
		port:       22,
	}
	if p := plain(obj["port"]); p.IsNumber() {
		spec.port = int(p.NumberValue())
	}
	if spec.user == "" {
		spec.user = "root"
	}
	if spec.host == "" {
		return spec, errors.New("connection.host is empty")
	}
	return spec, nil
}

// Dial attempts and the pause between them: a freshly started host may not
// accept SSH yet (upstream retries too).
const (
	dialAttempts = 10
	dialTimeout  = 15 * time.Second
)

func dialSSH(ctx context.Context, c connSpec) (*ssh.Client, error) {
	var auth []ssh.AuthMethod
	if c.privateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(c.privateKey))
		if err != nil {
			return nil, fmt.Errorf("parsing connection.privateKey: %w", err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.password != "" {
		auth = append(auth, ssh.Password(c.password),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				a := make([]string, len(qs))
				for i := range a {
					a[i] = c.password
				}
				return a, nil
			}))
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if ac, err := net.Dial("unix", sock); err == nil {
			defer ac.Close()
			auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(ac).Signers))
		}
	}
	if len(auth) == 0 {
		return nil, errors.New("connection has neither privateKey nor password (and no SSH agent)")
	}
	config := &ssh.ClientConfig{
		User: c.user,
		Auth: auth,
		// Like upstream pulumi-command: host keys are not checked.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec
		Timeout:         dialTimeout,
	}
	addr := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	var lastErr error
	wait := time.Second
	for attempt := 1; attempt <= dialAttempts; attempt++ {
		d := net.Dialer{Timeout: dialTimeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			sc, chans, reqs, herr := ssh.NewClientConn(conn, addr, config)
			if herr == nil {
				return ssh.NewClient(sc, chans, reqs), nil
			}
			conn.Close()
			err = herr
			// Wrong credentials will not get better by retrying.
			if strings.Contains(err.Error(), "unable to authenticate") {
				return nil, fmt.Errorf("ssh %s@%s: %w", c.user, addr, err)
			}
		}
		lastErr = err
		if attempt == dialAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		if wait < 8*time.Second {
			wait *= 2
		}
	}
	return nil, fmt.Errorf("ssh %s@%s: %d attempts failed, last: %w", c.user, addr, dialAttempts, lastErr)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'" }

func runRemote(ctx context.Context, c connSpec, s remoteSpec, log io.Writer) (string, string, error) {
	client, err := dialSSH(ctx, c)
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("ssh session: %w", err)
	}
	defer session.Close()

	// Environment through the protocol (needs AcceptEnv on the server);
	// what the server refuses is exported in front of the command instead.
	keys := make([]string, 0, len(s.env))
	for k := range s.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var prefix strings.Builder
	for _, k := range keys {
		if err := session.Setenv(k, s.env[k]); err != nil {
			fmt.Fprintf(&prefix, "export %s=%s; ", k, shellQuote(s.env[k]))
		}
	}
	if s.stdin != nil {
		session.Stdin = strings.NewReader(*s.stdin)
	}
	var stdout, stderr bytes.Buffer
	session.Stdout = io.MultiWriter(&stdout, log)
	session.Stderr = io.MultiWriter(&stderr, log)

	done := make(chan error, 1)
	go func() { done <- session.Run(prefix.String() + s.command) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = session.Signal(ssh.SIGKILL)
		client.Close()
		err = ctx.Err()
	}
	return stdout.String(), stderr.String(), err
}
