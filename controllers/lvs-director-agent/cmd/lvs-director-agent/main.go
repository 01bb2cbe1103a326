// Command lvs-director-agent keeps one FULLNAT director's virtual servers in
// step with the labelled Services and their EndpointSlices, owns the
// director's VIPs and LIP block, checks the real servers and exports the
// director's metrics. FullnatLVS installs it on every director as a systemd
// unit with its config and kubeconfig (components/fullnat-lvs/sync.ts).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"private-cloud/controllers/lvs-director-agent/internal/agent"
	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/health"
	"private-cloud/controllers/lvs-director-agent/internal/metrics"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "lvs-director-agent: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "/etc/lvs-director-agent/config.json", "agent configuration rendered by FullnatLVS")
	kubeconfig := flag.String("kubeconfig", "/etc/lvs-director-agent/kubeconfig", "kubeconfig with the agent's ServiceAccount token (empty: in-cluster)")
	backendName := flag.String("backend", "", "data plane: dpvs, alibaba or recording (default: the config's implementation)")
	listen := flag.String("listen", "", "metrics and health address (default :<metrics.port> of the config)")
	checks := flag.Bool("health-checks", true, "check real servers (off: every ready endpoint is in rotation)")
	ledger := flag.String("ledger", "/var/lib/lvs-director-agent/addresses", "file recording the addresses this agent added (only those are ever removed)")
	workers := flag.Int("workers", 4, "VIPs reconciled in parallel")
	checkOnly := flag.Bool("check-config", false, "validate --config and exit")
	klog.InitFlags(nil)
	flag.Parse()

	cfg, err := model.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *checkOnly {
		fmt.Printf("%s: config ok (director %s, %s, %d VIPs, LIP block %s)\n", *configPath, cfg.Director, cfg.Implementation, len(cfg.VIPs), cfg.LIPBlock)
		return nil
	}
	var rc *rest.Config
	if *kubeconfig == "" {
		rc, err = rest.InClusterConfig()
	} else {
		rc, err = clientcmd.BuildConfigFromFlags("", *kubeconfig)
	}
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", *kubeconfig, err)
	}
	rc.UserAgent = "lvs-director-agent/" + cfg.Director
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	name := *backendName
	if name == "" {
		name = cfg.Implementation
	}
	var be backend.Backend
	switch name {
	case "dpvs":
		be = backend.NewDPVS(backend.ExecRunner{}, cfg.LIPInterface, cfg.VIPInterface)
	case "alibaba":
		be = backend.NewAlibaba(backend.ExecRunner{}, cfg.VIPInterface)
	case "recording":
		be = backend.NewRecording()
	default:
		return fmt.Errorf("--backend %q (expected dpvs, alibaba or recording)", name)
	}
	m := metrics.New(be)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	opts := agent.Options{Config: cfg, Client: client, Backend: be, Metrics: m, Workers: *workers, LedgerFile: *ledger}
	var a *agent.Agent
	if *checks {
		interval := time.Duration(cfg.HealthCheck.IntervalSeconds) * time.Second
		p := &health.Prober{Interval: interval, Timeout: max(time.Second, interval), Failures: cfg.HealthCheck.Failures, Concurrency: 256}
		p.OnChange = func(vip string) {
			if a != nil {
				a.Enqueue(vip)
			}
		}
		opts.Health = p.State
		opts.OnDesired = func(vip string, st model.State) {
			var ts []health.Target
			for k, vs := range st {
				for rk := range vs.RealServers {
					ts = append(ts, health.Target{VS: k, RS: rk, Check: vs.Check})
				}
			}
			p.SetTargets(vip, ts)
		}
		m.SetHealth(p.Observed)
		go p.Run(ctx)
	} else {
		opts.Health = func(model.VSKey, model.RSKey) desired.Health { return desired.HealthUp }
	}
	a, err = agent.New(opts)
	if err != nil {
		return err
	}

	addr := *listen
	if addr == "" {
		addr = net.JoinHostPort("", strconv.Itoa(cfg.Metrics.Port))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !a.Ready() {
			http.Error(w, "not synced yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "metrics server")
			stop()
		}
	}()
	klog.InfoS("starting", "director", cfg.Director, "backend", be.Name(), "listen", addr)
	err = a.Run(ctx)
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	return err
}
