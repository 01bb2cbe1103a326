package agent_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"private-cloud/controllers/lvs-director-agent/internal/agent"
	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/metrics"
	"private-cloud/controllers/lvs-director-agent/internal/model"
	tu "private-cloud/controllers/lvs-director-agent/internal/testutil"
)

// timedBackend is the recording data plane plus a clock: it notes when each
// awaited real server reaches the director.
type timedBackend struct {
	*backend.Recording
	mu      sync.Mutex
	waiting map[model.VSKey]map[string]time.Time
	lat     []time.Duration
}

func (b *timedBackend) Apply(ctx context.Context, c desired.Change, l []string) error {
	if err := b.Recording.Apply(ctx, c, l); err != nil {
		return err
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range c.Add {
		if t, ok := b.waiting[c.Key][r.IP]; ok {
			b.lat = append(b.lat, now.Sub(t))
			delete(b.waiting[c.Key], r.IP)
		}
	}
	return nil
}

func (b *timedBackend) await(k model.VSKey, ip string, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiting[k] == nil {
		b.waiting[k] = map[string]time.Time{}
	}
	b.waiting[k][ip] = t
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkChurn: 1,000 Services × 20 endpoints on one agent, then a steady
// churn (a pod replaced in a random Service, churnPerSecond times a second,
// for churnSeconds). Reported: the initial sync, the reconcile latency from
// each EndpointSlice update to the new real server applied (p50/p99), CPU
// and heap of the process (agent plus the in-process fake API server and
// driver: an upper bound for the agent), and, in the same run, what one full
// re-render of every virtual service (compute all, diff all) costs — what an
// agent without per-VIP work would pay on every event.
//
//	go test -run '^$' -bench BenchmarkChurn -benchtime 1x ./internal/agent/
func BenchmarkChurn(b *testing.B) {
	const services, endpoints = 1000, 20
	churnPerSecond, churnSeconds := 50, 20
	cfg := tu.Config(services)
	cfg.DrainSeconds = 10
	cfg.ResyncSeconds = 30
	client := fake.NewSimpleClientset()
	ctx := context.Background()
	slices := make([]*discoveryv1.EndpointSlice, services)
	for i := 0; i < services; i++ {
		ns := fmt.Sprintf("ns-%d", i%50)
		if i < 50 {
			_, _ = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		}
		svc := tu.Service(ns, fmt.Sprintf("svc-%d", i), tu.VIP(i), tu.Biz(i), nil, tu.Port{Name: "https", Port: 443})
		if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		slices[i] = tu.Slice(ns, svc.Name, svc.Name+"-1", "https", "", 8443, tu.Ready(i, endpoints)...)
		if _, err := client.DiscoveryV1().EndpointSlices(ns).Create(ctx, slices[i], metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	be := &timedBackend{Recording: backend.NewRecording(), waiting: map[model.VSKey]map[string]time.Time{}}
	m := metrics.New(be)
	a, err := agent.New(agent.Options{Config: cfg, Client: client, Backend: be, Metrics: m, AddressInterval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	go func() { _ = a.Run(runCtx) }()
	for {
		st, _ := be.List(ctx)
		if len(st) == services && st.RealServerCount() == services*endpoints {
			break
		}
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("initial sync incomplete: %d virtual services, %d real servers", len(st), st.RealServerCount())
		}
		time.Sleep(20 * time.Millisecond)
	}
	initial := time.Since(start)

	runtime.GC()
	cpu0, wall0 := cpuTime(), time.Now()
	var peakHeap uint64
	rng := rand.New(rand.NewSource(1))
	tick := time.NewTicker(time.Second / time.Duration(churnPerSecond))
	changes := 0
	next := make([]int, services)
	for time.Since(wall0) < time.Duration(churnSeconds)*time.Second {
		<-tick.C
		i := rng.Intn(services)
		sl := slices[i].DeepCopy()
		// Replace one pod: the old one leaves (drained), a new address arrives.
		j := rng.Intn(endpoints)
		next[i]++
		ip := fmt.Sprintf("10.%d.%d.%d", 150+i/250, i%250, 20+next[i]%230)
		sl.Endpoints[j].Addresses = []string{ip}
		now := time.Now()
		sl.Annotations = map[string]string{agent.TriggerTimeAnnotation: now.Format(time.RFC3339Nano)}
		be.await(model.VSKey{VIP: tu.VIP(i), Port: 443, Protocol: model.TCP}, ip, now)
		if _, err := client.DiscoveryV1().EndpointSlices(sl.Namespace).Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		slices[i] = sl
		changes++
		if changes%100 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	tick.Stop()
	time.Sleep(2 * time.Second)
	cpu := cpuTime() - cpu0
	wall := time.Since(wall0)
	be.mu.Lock()
	lat := append([]time.Duration(nil), be.lat...)
	missing := 0
	for _, m := range be.waiting {
		missing += len(m)
	}
	be.mu.Unlock()

	// The same run, a full re-render: compute every virtual service and diff all.
	var svcs []*corev1.Service
	sliceBy := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range slices {
		sliceBy[s.Namespace+"/"+s.Labels[discoveryv1.LabelServiceName]] = append(sliceBy[s.Namespace+"/"+s.Labels[discoveryv1.LabelServiceName]], s)
	}
	l, _ := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	for i := range l.Items {
		svcs = append(svcs, &l.Items[i])
	}
	actual, _ := be.List(ctx)
	managed := cfg.ManagedVIPs()
	const renders = 5
	r0 := time.Now()
	for n := 0; n < renders; n++ {
		res := desired.Compute(desired.Input{Config: cfg, Services: svcs, Now: time.Now(), Prev: actual,
			Slices: func(ns, name string) []*discoveryv1.EndpointSlice { return sliceBy[ns+"/"+name] }})
		_ = desired.Diff(res.State, actual, func(v string) bool { return managed[v] }, res.Frozen)
	}
	full := time.Since(r0) / renders

	b.ReportMetric(float64(initial.Milliseconds()), "initial-sync-ms")
	b.ReportMetric(float64(pct(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 0.9).Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(pct(lat, 1).Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(lat)), "changes-applied")
	b.ReportMetric(float64(missing), "changes-missing")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
	b.ReportMetric(float64(peakHeap)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(full.Microseconds())/1000, "full-render-ms")
	b.ReportMetric(float64(full.Microseconds())/1000*float64(churnPerSecond)/10, "full-render-cpu-%-at-churn")
	b.Logf("%d Services × %d endpoints, churn %d/s for %v: %d changes, p50 %v p99 %v max %v, process CPU %.1f%%, heap %d MiB; full re-render %v each",
		services, endpoints, churnPerSecond, wall.Round(time.Second), changes, pct(lat, 0.5), pct(lat, 0.99), pct(lat, 1), 100*cpu.Seconds()/wall.Seconds(), peakHeap>>20, full)
}
