package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestRunLocal(t *testing.T) {
	in := "from-stdin"
	dir := t.TempDir()
	out, errOut, err := runLocal(context.Background(), localSpec{
		command:     `printf '%s|%s|' "$FOO" "$PWD"; cat; echo warn >&2`,
		interpreter: []string{"/bin/bash", "-c"},
		dir:         dir,
		env:         map[string]string{"FOO": "bar"},
		stdin:       &in,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bar|" + dir + "|from-stdin"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if errOut != "warn\n" {
		t.Errorf("stderr %q", errOut)
	}
	if _, _, err := runLocal(context.Background(), localSpec{command: "exit 3"}, io.Discard); err == nil {
		t.Error("exit 3 did not fail")
	}
}

func TestRunLocalCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := runLocal(ctx, localSpec{command: "sleep 30; echo never"}, io.Discard)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("not cancelled: err=%v after %s", err, time.Since(start))
	}
}

func TestDiff(t *testing.T) {
	p := newCommandProvider(nil)
	urn := "urn:pulumi:s::p::command:local:Command::c"
	olds := resource.PropertyMap{
		"create":   resource.NewStringProperty("echo a"),
		"triggers": resource.NewArrayProperty([]resource.PropertyValue{resource.NewNumberProperty(1)}),
		"stdout":   resource.NewStringProperty("a"),
		"stderr":   resource.NewStringProperty(""),
	}
	diff := func(news resource.PropertyMap) *pulumirpc.DiffResponse {
		o, _ := marshal(olds, "")
		n, _ := marshal(news, "")
		r, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Olds: o, News: n})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	same := inputsOf(localType, olds)
	if r := diff(same); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("same inputs: %v", r)
	}
	// A secret wrapper alone is no change.
	sec := same.Copy()
	sec["create"] = resource.MakeSecret(sec["create"])
	if r := diff(sec); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("secret wrapper: %v", r)
	}
	upd := same.Copy()
	upd["create"] = resource.NewStringProperty("echo b")
	if r := diff(upd); r.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(r.Replaces) != 0 {
		t.Errorf("create changed: %v", r)
	}
	rep := same.Copy()
	rep["triggers"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewNumberProperty(2)})
	if r := diff(rep); len(r.Replaces) != 1 || r.Replaces[0] != "triggers" {
		t.Errorf("triggers changed: %v", r)
	}
	unk := same.Copy()
	unk["triggers"] = resource.MakeComputed(resource.NewStringProperty(""))
	if r := diff(unk); len(r.Replaces) != 1 {
		t.Errorf("unknown triggers: %v", r)
	}
}

func TestCreatePreviewRunsNothing(t *testing.T) {
	p := newCommandProvider(nil)
	props, _ := marshal(resource.PropertyMap{"create": resource.NewStringProperty("exit 1")}, "")
	r, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: "urn:pulumi:s::p::command:local:Command::c", Properties: props, Preview: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := unmarshal(r.Properties, "")
	if !out["stdout"].IsComputed() || !out["stderr"].IsComputed() {
		t.Errorf("preview outputs not unknown: %v", out)
	}
}

// sshServer accepts one key and runs each "exec" request with /bin/sh -c,
// with the environment set by "env" requests (like an sshd with AcceptEnv *).
func sshServer(t *testing.T, authorized ssh.PublicKey) string {
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == "deploy" && string(k.Marshal()) == string(authorized.Marshal()) {
				return nil, nil
			}
			return nil, io.EOF
		},
	}
	cfg.AddHostKey(hostSigner)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSH(nc, cfg)
		}
	}()
	return l.Addr().String()
}

func serveSSH(nc net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			var env []string
			for req := range creqs {
				switch req.Type {
				case "env":
					var kv struct{ K, V string }
					_ = ssh.Unmarshal(req.Payload, &kv)
					env = append(env, kv.K+"="+kv.V)
					_ = req.Reply(true, nil)
				case "exec":
					var c struct{ Command string }
					_ = ssh.Unmarshal(req.Payload, &c)
					_ = req.Reply(true, nil)
					cmd := exec.Command("/bin/sh", "-c", c.Command)
					cmd.Env = env
					cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
					code := 0
					if err := cmd.Run(); err != nil {
						code = 1
						if ee, ok := err.(*exec.ExitError); ok {
							code = ee.ExitCode()
						}
					}
					status := make([]byte, 4)
					binary.BigEndian.PutUint32(status, uint32(code))
					_, _ = ch.SendRequest("exit-status", false, status)
					return
				default:
					_ = req.Reply(false, nil)
				}
			}
		}()
	}
}

func TestRunRemote(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	addr := sshServer(t, sshPub)
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)

	// Through the provider, as the engine calls it: property maps in and out.
	p := newCommandProvider(nil)
	conn := resource.NewObjectProperty(resource.PropertyMap{
		"host":       resource.NewStringProperty(host),
		"port":       resource.NewNumberProperty(float64(port)),
		"user":       resource.NewStringProperty("deploy"),
		"privateKey": resource.MakeSecret(resource.NewStringProperty(string(pem.EncodeToMemory(block)))),
	})
	props, _ := marshal(resource.PropertyMap{
		"connection":  conn,
		"create":      resource.NewStringProperty(`printf '%s:' "$GREETING"; cat; echo err >&2`),
		"environment": resource.NewObjectProperty(resource.PropertyMap{"GREETING": resource.NewStringProperty("hello")}),
		"stdin":       resource.NewStringProperty("world"),
	}, "")
	r, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: "urn:pulumi:s::p::command:remote:Command::c", Properties: props,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := unmarshal(r.Properties, "")
	if got := out["stdout"].StringValue(); got != "hello:world" {
		t.Errorf("stdout %q", got)
	}
	if got := out["stderr"].StringValue(); got != "err" {
		t.Errorf("stderr %q", got)
	}
	if !out["connection"].IsSecret() {
		t.Error("connection is not a secret in the outputs")
	}

	// A failing command is an error with its output.
	spec := connSpec{host: host, port: port, user: "deploy", privateKey: string(pem.EncodeToMemory(block))}
	_, _, err = runRemote(context.Background(), spec, remoteSpec{command: "echo nope; exit 2"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "2") {
		t.Errorf("exit 2: err=%v", err)
	}
	// A wrong key fails at once (no retries).
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	ob, _ := ssh.MarshalPrivateKey(other, "")
	spec.privateKey = string(pem.EncodeToMemory(ob))
	start := time.Now()
	if _, _, err := runRemote(context.Background(), spec, remoteSpec{command: "true"}, io.Discard); err == nil {
		t.Error("wrong key accepted")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("wrong key took %s (retried?)", time.Since(start))
	}
}
