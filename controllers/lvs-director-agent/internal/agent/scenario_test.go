package agent_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"private-cloud/controllers/lvs-director-agent/internal/agent"
	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/metrics"
	"private-cloud/controllers/lvs-director-agent/internal/model"
	tu "private-cloud/controllers/lvs-director-agent/internal/testutil"
)

// director is one running agent with its recording data plane.
type director struct {
	name   string
	be     *backend.Recording
	m      *metrics.Metrics
	a      *agent.Agent
	cancel context.CancelFunc
	done   chan struct{}
}

func testConfig(director string) *model.Config {
	c := tu.Config(4)
	c.Director = director
	c.DrainSeconds = 2
	c.ResyncSeconds = 1
	return c
}

func startDirector(t *testing.T, client kubernetes.Interface, name string, be *backend.Recording, ledger string) *director {
	t.Helper()
	m := metrics.New(be)
	a, err := agent.New(agent.Options{Config: testConfig(name), Client: client, Backend: be, Metrics: m,
		AddressInterval: 200 * time.Millisecond, LedgerFile: ledger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &director{name: name, be: be, m: m, a: a, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(d.done); _ = a.Run(ctx) }()
	// client-go's fake clientset has no resource versions, so a change made
	// between an informer's list and its watch is lost (the real API server
	// replays it): start changing things only once the agent is synced.
	eventually(t, 10*time.Second, name+" synced", func() (bool, string) { return a.Ready(), "" })
	time.Sleep(100 * time.Millisecond)
	return d
}

func (d *director) stop() { d.cancel(); <-d.done }

// eventually polls cond every 50 ms for up to timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	last := ""
	for time.Since(start) < timeout {
		ok, s := cond()
		if ok {
			return time.Since(start)
		}
		last = s
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not reached after %v; last seen: %s", what, timeout, last)
	return 0
}

// expect is a virtual service's real servers and weights, as "ip:port=weight" sorted.
func describeVS(st model.State, k model.VSKey) string {
	vs, ok := st[k]
	if !ok {
		return "<absent>"
	}
	var parts []string
	for _, r := range vs.SortedRealServers() {
		parts = append(parts, fmt.Sprintf("%s=%d", r.RSKey, r.Weight))
	}
	return strings.Join(parts, " ")
}

func wantVS(t *testing.T, ds []*director, k model.VSKey, want string, timeout time.Duration) {
	t.Helper()
	for _, d := range ds {
		eventually(t, timeout, fmt.Sprintf("%s on %s = %q", k, d.name, want), func() (bool, string) {
			st, _ := d.be.List(context.Background())
			got := describeVS(st, k)
			return got == want, got
		})
	}
}

func eps(prefix string, n int, ready bool) []tu.EP {
	out := make([]tu.EP, n)
	for i := range out {
		out[i] = tu.EP{IP: fmt.Sprintf("%s.%d", prefix, i+1), Ready: ready}
	}
	return out
}

func rsList(prefix string, n int, port int32, w int32) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("%s.%d:%d=%d", prefix, i+1, port, w))
	}
	return out
}

func joinSorted(parts ...[]string) string {
	st := model.VirtualServer{RealServers: map[model.RSKey]model.RealServer{}}
	for _, p := range parts {
		for _, s := range p {
			var ip string
			var port, w int32
			fmt.Sscanf(strings.Replace(strings.Replace(s, ":", " ", 1), "=", " ", 1), "%s %d %d", &ip, &port, &w)
			k := model.RSKey{IP: ip, Port: port}
			st.RealServers[k] = model.RealServer{RSKey: k, Weight: w}
		}
	}
	var out []string
	for _, r := range st.SortedRealServers() {
		out = append(out, fmt.Sprintf("%s=%d", r.RSKey, r.Weight))
	}
	return strings.Join(out, " ")
}

type kube struct {
	t *testing.T
	c kubernetes.Interface
}

func (k kube) ns(name string) {
	_, err := k.c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		k.t.Fatal(err)
	}
}

func (k kube) service(s *corev1.Service) {
	k.t.Helper()
	if _, err := k.c.CoreV1().Services(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

func (k kube) deleteService(ns, name string) {
	k.t.Helper()
	if err := k.c.CoreV1().Services(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

func (k kube) slice(s *discoveryv1.EndpointSlice) {
	k.t.Helper()
	ctx := context.Background()
	cur, err := k.c.DiscoveryV1().EndpointSlices(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err := k.c.DiscoveryV1().EndpointSlices(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			k.t.Fatal(err)
		}
		return
	}
	if err != nil {
		k.t.Fatal(err)
	}
	s.ResourceVersion = cur.ResourceVersion
	if _, err := k.c.DiscoveryV1().EndpointSlices(s.Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

func (k kube) events(ns, name string) []corev1.Event {
	l, err := k.c.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range l.Items {
		if e.InvolvedObject.Kind == "Service" && e.InvolvedObject.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func gauge(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mm := range mf.Metric {
			if matches(mm, labels) {
				switch {
				case mm.Gauge != nil:
					return mm.Gauge.GetValue()
				case mm.Counter != nil:
					return mm.Counter.GetValue()
				case mm.Histogram != nil:
					return float64(mm.Histogram.GetSampleCount())
				}
			}
		}
	}
	return -1
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.Label {
		if v, ok := labels[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

// scenario runs the same story against a fake clientset (unit) or the real
// API server of the simulated datacenter (integration): two directors, each
// with its own agent, follow Services and EndpointSlices through scale,
// roll, delete, bad Services, an agent killed during churn and a data-plane
// restart. restartAPI, when set, restarts the API server mid-way.
func scenario(t *testing.T, client kubernetes.Interface, ledgerDir string, restartAPI func(*testing.T)) {
	k := kube{t, client}
	ns := fmt.Sprintf("lvs-it-%d", time.Now().UnixNano()%1_000_000)
	k.ns(ns)
	ds := []*director{
		startDirector(t, client, "dir-1", backend.NewRecording(), ledgerDir+"/dir-1"),
		startDirector(t, client, "dir-2", backend.NewRecording(), ledgerDir+"/dir-2"),
	}
	defer func() {
		for _, d := range ds {
			d.stop()
		}
	}()
	// A loopback router ID that is not the agent's: it must survive.
	ds[0].be.SetAddress("192.0.2.1/32")
	const timeout = 20 * time.Second
	web := tu.Port{Name: "https", Port: 443}
	k0 := model.VSKey{VIP: tu.VIP(0), Port: 443, Protocol: model.TCP}
	k1 := model.VSKey{VIP: tu.VIP(1), Port: 443, Protocol: model.TCP}

	t.Run("create: Services and slices become virtual services on every director", func(t *testing.T) {
		k.service(tu.Service(ns, "web", tu.VIP(0), "biz-0", nil, web))
		k.slice(tu.Slice(ns, "web", "web-1", "https", "", 8443, eps("10.1.0", 5, true)...))
		k.service(tu.Service(ns, "api", tu.VIP(1), "biz-1", nil, web))
		k.slice(tu.Slice(ns, "api", "api-1", "https", "", 8443, eps("10.1.1", 3, true)...))
		wantVS(t, ds, k0, joinSorted(rsList("10.1.0", 5, 8443, 100)), timeout)
		wantVS(t, ds, k1, joinSorted(rsList("10.1.1", 3, 8443, 100)), timeout)
	})
	t.Run("addresses: VIPs and the LIP block are on the director, the router ID untouched", func(t *testing.T) {
		eventually(t, timeout, "addresses", func() (bool, string) {
			have, _ := ds[0].be.Addresses(context.Background())
			return have[tu.VIP(0)+"/32"] && have["10.40.0.1/29"] && have["10.40.0.2/32"] && have["10.31.0.10/32"] && have["192.0.2.1/32"], fmt.Sprint(have)
		})
	})
	t.Run("scale up: new pods join", func(t *testing.T) {
		k.slice(tu.Slice(ns, "web", "web-1", "https", "", 8443, eps("10.1.0", 8, true)...))
		wantVS(t, ds, k0, joinSorted(rsList("10.1.0", 8, 8443, 100)), timeout)
	})
	t.Run("roll: old pods drain at weight 0, then leave", func(t *testing.T) {
		next := append(eps("10.1.2", 8, true), tu.EP{IP: "10.1.0.1", Terminating: true})
		k.slice(tu.Slice(ns, "web", "web-1", "https", "", 8443, next...))
		wantVS(t, ds, k0, joinSorted(rsList("10.1.2", 8, 8443, 100), rsList("10.1.0", 8, 8443, 0)), timeout)
		// drainSeconds 2: gone after the window without any further event.
		wantVS(t, ds, k0, joinSorted(rsList("10.1.2", 8, 8443, 100)), timeout)
	})
	t.Run("bad Services: Event on the Service, metric, nothing applied for that VIP, others keep working", func(t *testing.T) {
		k.service(tu.Service(ns, "web-copy", tu.VIP(0), "biz-0", nil, web))                        // clash on VIP 0
		k.service(tu.Service(ns, "hijack", tu.VIP(1), "biz-2", nil, tu.Port{Name: "h", Port: 80})) // another business's VIP
		k.service(tu.Service(ns, "udp", tu.VIP(2), "biz-2", nil, tu.Port{Name: "u", Port: 53, Protocol: corev1.ProtocolUDP}))
		for _, name := range []string{"web-copy", "hijack", "udp"} {
			eventually(t, timeout, "Event on "+name, func() (bool, string) {
				evs := k.events(ns, name)
				for _, e := range evs {
					if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, "expected") {
						return true, ""
					}
				}
				return false, fmt.Sprint(len(evs), " events")
			})
		}
		eventually(t, timeout, "rejected metric", func() (bool, string) {
			v := gauge(t, ds[0].m, "lvs_agent_rejected_services", map[string]string{"reason": string(model.ReasonPortClash)})
			return v == 2, fmt.Sprint(v)
		})
		// VIP 0 is frozen: a change to its pods is not applied while the clash lasts…
		k.slice(tu.Slice(ns, "web", "web-1", "https", "", 8443, eps("10.1.2", 2, true)...))
		// …while VIP 1 still follows its pods.
		k.slice(tu.Slice(ns, "api", "api-1", "https", "", 8443, eps("10.1.1", 4, true)...))
		wantVS(t, ds, k1, joinSorted(rsList("10.1.1", 4, 8443, 100)), timeout)
		if got := describeVS(ds[0].a.Applied(), k0); got != joinSorted(rsList("10.1.2", 8, 8443, 100)) {
			t.Errorf("frozen VIP changed: %s", got)
		}
		if _, ok := ds[0].a.Applied()[model.VSKey{VIP: tu.VIP(1), Port: 80, Protocol: model.TCP}]; ok {
			t.Errorf("the hijacking Service got a virtual service")
		}
		// Clash resolved → the VIP follows again.
		k.deleteService(ns, "web-copy")
		wantVS(t, ds, k0, joinSorted(rsList("10.1.2", 2, 8443, 100), []string{}), timeout)
	})
	t.Run("agent killed during churn resyncs from the director on start", func(t *testing.T) {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 10; i++ {
				k.slice(tu.Slice(ns, "api", "api-1", "https", "", 8443, eps("10.1.1", 4+i, true)...))
				time.Sleep(30 * time.Millisecond)
			}
		}()
		time.Sleep(100 * time.Millisecond)
		ds[1].stop()
		wg.Wait()
		// Meanwhile the other director is not blocked by the dead one.
		wantVS(t, ds[:1], k1, joinSorted(rsList("10.1.1", 14, 8443, 100)), timeout)
		ds[1] = startDirector(t, client, "dir-2", ds[1].be, ledgerDir+"/dir-2")
		wantVS(t, ds, k1, joinSorted(rsList("10.1.1", 14, 8443, 100)), timeout)
	})
	t.Run("drift and a data-plane restart are repaired: virtual services and addresses come back", func(t *testing.T) {
		ds[0].be.Tamper(func(s model.State) { delete(s, k1) })
		wantVS(t, ds[:1], k1, joinSorted(rsList("10.1.1", 14, 8443, 100)), timeout)
		ds[0].be.Restart()
		ds[0].be.SetAddress("192.0.2.1/32")
		wantVS(t, ds[:1], k0, joinSorted(rsList("10.1.2", 2, 8443, 100)), timeout)
		eventually(t, timeout, "addresses restored", func() (bool, string) {
			have, _ := ds[0].be.Addresses(context.Background())
			return have[tu.VIP(0)+"/32"] && have["10.40.0.1/29"], fmt.Sprint(have)
		})
		if v := gauge(t, ds[0].m, "lvs_agent_drift_repairs_total", map[string]string{"kind": "virtual_server"}); v < 1 {
			t.Errorf("drift repairs = %v", v)
		}
		if v := gauge(t, ds[0].m, "lvs_agent_drift_repairs_total", map[string]string{"kind": "address"}); v < 1 {
			t.Errorf("address repairs = %v", v)
		}
	})
	if restartAPI != nil {
		t.Run("API server restart: watches resume and converge", func(t *testing.T) {
			restartAPI(t)
			k.slice(tu.Slice(ns, "api", "api-1", "https", "", 8443, eps("10.1.1", 3, true)...))
			// The drained pods' 2 s window may pass while the watches reconnect:
			// only the end state is certain.
			wantVS(t, ds, k1, joinSorted(rsList("10.1.1", 3, 8443, 100)), 60*time.Second)
		})
	}
	t.Run("delete: the Service's virtual service goes", func(t *testing.T) {
		k.deleteService(ns, "api")
		wantVS(t, ds, k1, "<absent>", timeout)
	})
	t.Run("metrics: counts and reconcile latency", func(t *testing.T) {
		if v := gauge(t, ds[0].m, "lvs_agent_virtual_servers", nil); v != 1 {
			t.Errorf("virtual servers = %v, want 1", v)
		}
		if v := gauge(t, ds[0].m, "lvs_agent_reconcile_latency_seconds", nil); v < 5 {
			t.Errorf("reconcile latency samples = %v", v)
		}
		if v := gauge(t, ds[0].m, "lvs_rs_up", map[string]string{"vip": tu.VIP(0), "rs": "10.1.2.1:8443"}); v != 1 {
			t.Errorf("lvs_rs_up = %v", v)
		}
	})
	_ = desired.OpCreate
}
