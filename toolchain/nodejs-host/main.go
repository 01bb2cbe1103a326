// Command pulumi-language-nodejs is the Node.js language host used by the
// private-cloud toolchain when no official Pulumi install is on PATH.
//
// The Go module proxy refuses the language host module that matches the CLI
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), so
// scripts/toolchain.sh builds the newest upstream host the proxy serves: the
// one inside github.com/pulumi/pulumi/sdk/v3 v3.68.0, installed next to this
// binary as pulumi-language-nodejs-upstream. This program starts it and
// forwards every LanguageRuntime call to it unchanged, and implements the one
// call that the old host lacks and the current CLI needs: RunPlugin, which the
// CLI uses to start Node.js policy packs (`pulumi preview --policy-pack DIR`)
// and Node.js plugins. Calls that neither implements answer Unimplemented, and
// the CLI falls back as it does with any older host.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

const upstreamName = "pulumi-language-nodejs-upstream"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	up pulumirpc.LanguageRuntimeClient
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return h.up.GetRequiredPlugins(ctx, req)
}

func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return h.up.GetRequiredPackages(ctx, req)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return h.up.Run(ctx, req)
}

func (h *host) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return h.up.GetPluginInfo(ctx, req)
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return h.up.About(ctx, req)
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return h.up.GetProgramDependencies(ctx, req)
}

func (h *host) RuntimeOptionsPrompts(ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return h.up.RuntimeOptionsPrompts(ctx, req)
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	up, err := h.up.InstallDependencies(stream.Context(), req)
	if err != nil {
		return err
	}
	for {
		msg, err := up.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
}

// compiledPackRunner is the runner a compiled policy pack names in its
// package.json ("privateCloudRunner", written by release/policy-build.ts:
// scripts/lib/run-compiled-policy-pack.js, the SDK's runner without ts-node
// and closure serialization, about half the CPU per start), or "" when the
// pack names none or the file is gone (then the SDK's runner, as usual).
func compiledPackRunner(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Runner string `json:"privateCloudRunner"`
	}
	if json.Unmarshal(data, &pkg) != nil || pkg.Runner == "" || !filepath.IsAbs(pkg.Runner) {
		return ""
	}
	if _, err := os.Stat(pkg.Runner); err != nil {
		return ""
	}
	return pkg.Runner
}

// RunPlugin runs a Node.js plugin program with node: a policy pack (kind
// "analyzer") through @pulumi/pulumi/cmd/run-policy-pack with the arguments
// <engine address> <pack dir>, anything else through
// @pulumi/pulumi/cmd/run-plugin with <plugin dir> <args...>. The script is
// resolved from the plugin's own node_modules, as the CLI's
// pulumi-analyzer-policy shim does, unless a compiled pack names its own
// runner (compiledPackRunner). Output and the exit code are streamed back.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	module, args := "@pulumi/pulumi/cmd/run-plugin", append([]string{dir}, req.GetArgs()...)
	if req.GetKind() == "analyzer" {
		module, args = "@pulumi/pulumi/cmd/run-policy-pack", append(append([]string{}, req.GetArgs()...), dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	script := ""
	if req.GetKind() == "analyzer" {
		script = compiledPackRunner(dir)
	}
	if script == "" {
		resolve := exec.Command(node, "-e", fmt.Sprintf("process.stdout.write(require.resolve(%q))", module))
		resolve.Dir = dir
		out, err := resolve.Output()
		if err != nil {
			return fmt.Errorf("cannot resolve %s from %s; run 'npm install' there: %w", module, dir, err)
		}
		script = string(out)
	}

	cmd := exec.CommandContext(stream.Context(), node, append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = req.GetEnv()
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}

	var sendMu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(r)
	}
	pump := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) error {
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if serr := send(wrap(append([]byte(nil), buf[:n]...))); serr != nil {
					return serr
				}
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
			return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
		})
	}()
	go func() {
		defer wg.Done()
		errs[1] = pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
			return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
		})
	}()
	wg.Wait()
	waitErr := cmd.Wait()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &exitErr):
		code = exitErr.ExitCode()
	default:
		return waitErr
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// startUpstream starts the upstream host with our arguments and returns a
// client connected to the port it prints.
func startUpstream(args []string) (*exec.Cmd, *grpc.ClientConn, error) {
	bin := os.Getenv("PULUMI_LANGUAGE_NODEJS_UPSTREAM")
	if bin == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, err
		}
		if self, err = filepath.EvalSymlinks(self); err != nil {
			return nil, nil, err
		}
		bin = filepath.Join(filepath.Dir(self), upstreamName)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	// The upstream host dies with us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, nil, fmt.Errorf("reading the port of %s: %w", bin, err)
	}
	go func() { _, _ = io.Copy(os.Stdout, r) }()
	port := strings.TrimSpace(line)
	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(400*1024*1024), grpc.MaxCallSendMsgSize(400*1024*1024)))
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, nil, err
	}
	return cmd, conn, nil
}

func main() {
	upCmd, conn, err := startUpstream(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(400*1024*1024), grpc.MaxSendMsgSize(400*1024*1024))
	pulumirpc.RegisterLanguageRuntimeServer(srv, &host{up: pulumirpc.NewLanguageRuntimeClient(conn)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = upCmd.Process.Kill()
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	// The CLI reads the port from the first line of stdout.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	go func() {
		// Stop serving when the upstream host exits (it exits when the engine goes away).
		_ = upCmd.Wait()
		srv.Stop()
	}()
	if err := srv.Serve(lis); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}
