package desired_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
	tu "private-cloud/controllers/lvs-director-agent/internal/testutil"
)

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

type world struct {
	svcs   []*corev1.Service
	slices []*discoveryv1.EndpointSlice
}

func (w world) input(cfg *model.Config, prev model.State, drain map[model.VSKey]map[model.RSKey]time.Time, now time.Time) desired.Input {
	return desired.Input{Config: cfg, Services: w.svcs, Prev: prev, DrainSince: drain, Now: now,
		Slices: func(ns, name string) []*discoveryv1.EndpointSlice {
			var out []*discoveryv1.EndpointSlice
			for _, s := range w.slices {
				if s.Namespace == ns && s.Labels[discoveryv1.LabelServiceName] == name {
					out = append(out, s)
				}
			}
			return out
		}}
}

func weights(st model.State, k model.VSKey) map[string]int32 {
	out := map[string]int32{}
	for rk, r := range st[k].RealServers {
		out[rk.String()] = r.Weight
	}
	return out
}

func key(vip string, port int32, p model.Protocol) model.VSKey {
	return model.VSKey{VIP: vip, Port: port, Protocol: p}
}

func TestDesiredStateTable(t *testing.T) {
	cfg := tu.Config(3)
	vip0, vip1 := tu.VIP(0), tu.VIP(1)
	web := tu.Port{Name: "https", Port: 443}
	cases := []struct {
		name    string
		w       world
		want    map[model.VSKey]map[string]int32
		sched   map[model.VSKey]string
		reasons []model.Reason
		frozen  []string
	}{
		{
			name: "ready endpoints become real servers at the target port with weight 100",
			w: world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", nil, web)},
				slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "web-a", "https", "", 8443,
					tu.EP{IP: "10.1.0.1", Ready: true}, tu.EP{IP: "10.1.0.2", Ready: true})}},
			want:  map[model.VSKey]map[string]int32{key(vip0, 443, model.TCP): {"10.1.0.1:8443": 100, "10.1.0.2:8443": 100}},
			sched: map[model.VSKey]string{key(vip0, 443, model.TCP): "wrr"},
		},
		{
			name: "a not-ready endpoint that was never in rotation is not added",
			w: world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", nil, web)},
				slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "web-a", "https", "", 8443,
					tu.EP{IP: "10.1.0.1", Ready: true}, tu.EP{IP: "10.1.0.9", Ready: false})}},
			want: map[model.VSKey]map[string]int32{key(vip0, 443, model.TCP): {"10.1.0.1:8443": 100}},
		},
		{
			name: "a pod in two slices (slice rewrite) counts once, ready wins",
			w: world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", nil, web)},
				slices: []*discoveryv1.EndpointSlice{
					tu.Slice("shop", "web", "web-a", "https", "", 8443, tu.EP{IP: "10.1.0.1", Ready: false, Terminating: false}),
					tu.Slice("shop", "web", "web-b", "https", "", 8443, tu.EP{IP: "10.1.0.1", Ready: true}),
				}},
			want: map[model.VSKey]map[string]int32{key(vip0, 443, model.TCP): {"10.1.0.1:8443": 100}},
		},
		{
			name: "a Service with no endpoints still gets its virtual service (empty)",
			w:    world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", nil, web)}},
			want: map[model.VSKey]map[string]int32{key(vip0, 443, model.TCP): {}},
		},
		{
			name: "scheduler annotation and two ports on one VIP",
			w: world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", map[string]string{tu.SchedKey: "sh"},
				tu.Port{Name: "http", Port: 80}, web)},
				slices: []*discoveryv1.EndpointSlice{
					tu.Slice("shop", "web", "web-a", "https", "", 8443, tu.EP{IP: "10.1.0.1", Ready: true}),
					tu.Slice("shop", "web", "web-b", "http", "", 8080, tu.EP{IP: "10.1.0.1", Ready: true}),
				}},
			want: map[model.VSKey]map[string]int32{
				key(vip0, 443, model.TCP): {"10.1.0.1:8443": 100},
				key(vip0, 80, model.TCP):  {"10.1.0.1:8080": 100},
			},
			sched: map[model.VSKey]string{key(vip0, 80, model.TCP): "sh", key(vip0, 443, model.TCP): "sh"},
		},
		{
			name: "UDP with a health-check port is a UDP virtual service",
			w: world{svcs: []*corev1.Service{tu.Service("push", "gw", vip1, "biz-1", map[string]string{tu.HPortKey: "8081"},
				tu.Port{Name: "push", Port: 5228, Protocol: corev1.ProtocolUDP})},
				slices: []*discoveryv1.EndpointSlice{tu.Slice("push", "gw", "gw-a", "push", corev1.ProtocolUDP, 5228, tu.EP{IP: "10.2.0.1", Ready: true})}},
			want: map[model.VSKey]map[string]int32{key(vip1, 5228, model.UDP): {"10.2.0.1:5228": 100}},
		},
		{
			name: "UDP without a health-check port: refused and the VIP frozen",
			w: world{svcs: []*corev1.Service{tu.Service("push", "gw", vip1, "biz-1", nil, tu.Port{Name: "push", Port: 5228, Protocol: corev1.ProtocolUDP})},
				slices: []*discoveryv1.EndpointSlice{tu.Slice("push", "gw", "gw-a", "push", corev1.ProtocolUDP, 5228, tu.EP{IP: "10.2.0.1", Ready: true})}},
			want:    map[model.VSKey]map[string]int32{},
			reasons: []model.Reason{model.ReasonUDPWithoutHealth},
			frozen:  []string{vip1},
		},
		{
			name: "VIP outside the pools: ignored, nothing frozen",
			w:    world{svcs: []*corev1.Service{tu.Service("shop", "web", "192.0.2.7", "biz-0", nil, web)}},
			want: map[model.VSKey]map[string]int32{}, reasons: []model.Reason{model.ReasonVIPNotInPools},
		},
		{
			name: "another business's VIP: the intruder is ignored, the owner keeps working",
			w: world{svcs: []*corev1.Service{
				tu.Service("shop", "web", vip0, "biz-0", nil, web),
				tu.Service("typo", "web", vip0, "biz-2", nil, tu.Port{Name: "https", Port: 8443}),
			}, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "web-a", "https", "", 8443, tu.EP{IP: "10.1.0.1", Ready: true})}},
			want:    map[model.VSKey]map[string]int32{key(vip0, 443, model.TCP): {"10.1.0.1:8443": 100}},
			reasons: []model.Reason{model.ReasonVIPOfOther},
		},
		{
			name: "port clash on one VIP: both refused, that VIP frozen, another VIP unaffected",
			w: world{svcs: []*corev1.Service{
				tu.Service("shop", "web", vip0, "biz-0", nil, web),
				tu.Service("shop", "web2", vip0, "biz-0", nil, web),
				tu.Service("push", "gw", vip1, "biz-1", nil, tu.Port{Name: "https", Port: 443}),
			}, slices: []*discoveryv1.EndpointSlice{tu.Slice("push", "gw", "gw-a", "https", "", 443, tu.EP{IP: "10.2.0.1", Ready: true})}},
			want:    map[model.VSKey]map[string]int32{key(vip1, 443, model.TCP): {"10.2.0.1:443": 100}},
			reasons: []model.Reason{model.ReasonPortClash, model.ReasonPortClash},
			frozen:  []string{vip0},
		},
		{
			name: "a bad scheduler: refused with the annotation named",
			w:    world{svcs: []*corev1.Service{tu.Service("shop", "web", vip0, "biz-0", map[string]string{tu.SchedKey: "fastest"}, web)}},
			want: map[model.VSKey]map[string]int32{}, reasons: []model.Reason{model.ReasonBadAnnotation}, frozen: []string{vip0},
		},
		{
			name: "not an address",
			w:    world{svcs: []*corev1.Service{tu.Service("shop", "web", "10.30.1", "biz-0", nil, web)}},
			want: map[model.VSKey]map[string]int32{}, reasons: []model.Reason{model.ReasonBadVIP},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := desired.Compute(c.w.input(cfg, nil, nil, t0))
			if len(res.State) != len(c.want) {
				t.Fatalf("virtual services = %v, want %v", res.State.Keys(), c.want)
			}
			for k, w := range c.want {
				got := weights(res.State, k)
				if len(got) != len(w) {
					t.Fatalf("%s real servers = %v, want %v", k, got, w)
				}
				for rs, wt := range w {
					if got[rs] != wt {
						t.Errorf("%s %s weight = %d, want %d", k, rs, got[rs], wt)
					}
				}
				if s, ok := c.sched[k]; ok && res.State[k].Scheduler != s {
					t.Errorf("%s scheduler = %q, want %q", k, res.State[k].Scheduler, s)
				}
			}
			var reasons []model.Reason
			for _, p := range res.Problems {
				reasons = append(reasons, p.Reason)
				if !strings.Contains(p.Message, "expected") {
					t.Errorf("problem %q does not say what is expected", p.Message)
				}
			}
			if strings.Join(toS(reasons), ",") != strings.Join(toS(c.reasons), ",") {
				t.Errorf("problems = %v, want reasons %v", res.Problems, c.reasons)
			}
			for _, v := range c.frozen {
				if !res.Frozen[v] {
					t.Errorf("VIP %s not frozen", v)
				}
			}
			if len(res.Frozen) != len(c.frozen) {
				t.Errorf("frozen = %v, want %v", res.Frozen, c.frozen)
			}
		})
	}
}

func toS(r []model.Reason) []string {
	out := make([]string, len(r))
	for i, x := range r {
		out[i] = string(x)
	}
	return out
}

func TestProblemMessagesNameTheService(t *testing.T) {
	cfg := tu.Config(2)
	w := world{svcs: []*corev1.Service{tu.Service("typo", "web", tu.VIP(0), "biz-1", nil, tu.Port{Name: "https", Port: 443})}}
	res := desired.Compute(w.input(cfg, nil, nil, t0))
	if len(res.Problems) != 1 {
		t.Fatalf("problems = %v", res.Problems)
	}
	p := res.Problems[0]
	for _, s := range []string{tu.VIP(0), `"biz-0"`, `"biz-1"`} {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message %q lacks %s", p.Message, s)
		}
	}
	if p.Namespace != "typo" || p.Name != "web" {
		t.Errorf("problem names %s/%s", p.Namespace, p.Name)
	}
}

// Drain (seed part 5): terminating, not-ready or vanished real servers that
// were in rotation get weight 0, and go after the drain window.
func TestDrain(t *testing.T) {
	cfg := tu.Config(1)
	vip := tu.VIP(0)
	k := key(vip, 443, model.TCP)
	svc := tu.Service("shop", "web", vip, "biz-0", nil, tu.Port{Name: "https", Port: 443})
	both := world{svcs: []*corev1.Service{svc}, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443,
		tu.EP{IP: "10.1.0.1", Ready: true}, tu.EP{IP: "10.1.0.2", Ready: true})}}
	r0 := desired.Compute(both.input(cfg, nil, nil, t0))

	steps := []struct {
		name string
		eps  []tu.EP
		at   time.Duration
		want map[string]int32
	}{
		{"terminating → weight 0", []tu.EP{{IP: "10.1.0.1", Ready: true}, {IP: "10.1.0.2", Terminating: true}}, 0, map[string]int32{"10.1.0.1:8443": 100, "10.1.0.2:8443": 0}},
		{"still draining after 29 s (gone from the slice)", []tu.EP{{IP: "10.1.0.1", Ready: true}}, 29 * time.Second, map[string]int32{"10.1.0.1:8443": 100, "10.1.0.2:8443": 0}},
		{"removed after the 30 s window", []tu.EP{{IP: "10.1.0.1", Ready: true}}, 30 * time.Second, map[string]int32{"10.1.0.1:8443": 100}},
	}
	prev, drain := r0.State, r0.DrainSince
	for _, s := range steps {
		w := world{svcs: both.svcs, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443, s.eps...)}}
		r := desired.Compute(w.input(cfg, prev, drain, t0.Add(s.at)))
		got := weights(r.State, k)
		if len(got) != len(s.want) {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
		for rs, wt := range s.want {
			if got[rs] != wt {
				t.Errorf("%s: %s weight %d, want %d", s.name, rs, got[rs], wt)
			}
		}
		if len(s.want) == 2 && !r.NextDeadline.Equal(t0.Add(30*time.Second)) {
			t.Errorf("%s: next deadline %v, want t0+30s (the agent reconciles again then)", s.name, r.NextDeadline)
		}
		prev, drain = r.State, r.DrainSince
	}

	// A pod that comes back ready during its drain is back at full weight and forgets the drain.
	w := world{svcs: both.svcs, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443, tu.EP{IP: "10.1.0.1", Ready: false})}}
	r1 := desired.Compute(w.input(cfg, r0.State, nil, t0))
	r2 := desired.Compute(both.input(cfg, r1.State, r1.DrainSince, t0.Add(5*time.Second)))
	if got := weights(r2.State, k); got["10.1.0.1:8443"] != 100 || len(r2.DrainSince) != 0 {
		t.Errorf("back to ready: %v drain %v", got, r2.DrainSince)
	}

	// Drain window 0: removed at once.
	cfg0 := tu.Config(1)
	cfg0.DrainSeconds = 0
	r3 := desired.Compute(w.input(cfg0, r0.State, nil, t0))
	if got := weights(r3.State, k); len(got) != 0 {
		t.Errorf("drainSeconds 0: %v, want none", got)
	}
}

// Health: keepalived's alpha (out until the first check passes) and
// inhibit_on_failure (a failing server stays at weight 0).
func TestHealthWeights(t *testing.T) {
	cfg := tu.Config(1)
	vip := tu.VIP(0)
	k := key(vip, 443, model.TCP)
	w := world{svcs: []*corev1.Service{tu.Service("shop", "web", vip, "biz-0", nil, tu.Port{Name: "https", Port: 443})},
		slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443,
			tu.EP{IP: "10.1.0.1", Ready: true}, tu.EP{IP: "10.1.0.2", Ready: true}, tu.EP{IP: "10.1.0.3", Ready: true})}}
	in := w.input(cfg, nil, nil, t0)
	in.Health = func(_ model.VSKey, rs model.RSKey) desired.Health {
		return map[string]desired.Health{"10.1.0.1": desired.HealthUp, "10.1.0.2": desired.HealthDown}[rs.IP]
	}
	got := weights(desired.Compute(in).State, k)
	want := map[string]int32{"10.1.0.1:8443": 100, "10.1.0.2:8443": 0, "10.1.0.3:8443": 0}
	for rs, wt := range want {
		if got[rs] != wt {
			t.Errorf("%s weight %d, want %d", rs, got[rs], wt)
		}
	}
}

// A rolling update replaces every pod: at each step the new pod is in before
// the old one leaves, and the director never loses its last real server.
func TestRollingUpdateChurn(t *testing.T) {
	cfg := tu.Config(1)
	vip := tu.VIP(0)
	k := key(vip, 443, model.TCP)
	svc := tu.Service("shop", "web", vip, "biz-0", nil, tu.Port{Name: "https", Port: 443})
	old := []string{"10.1.0.1", "10.1.0.2", "10.1.0.3"}
	neu := []string{"10.1.1.1", "10.1.1.2", "10.1.1.3"}
	eps := func(step int) []tu.EP {
		var out []tu.EP
		for i := range old {
			switch {
			case i < step:
				out = append(out, tu.EP{IP: neu[i], Ready: true})
			case i == step:
				out = append(out, tu.EP{IP: neu[i], Ready: true}, tu.EP{IP: old[i], Terminating: true})
			default:
				out = append(out, tu.EP{IP: old[i], Ready: true})
			}
		}
		return out
	}
	actual := model.State{}
	var prev model.State
	var drain map[model.VSKey]map[model.RSKey]time.Time
	managed := func(string) bool { return true }
	now := t0
	for step := 0; step <= len(old); step++ {
		w := world{svcs: []*corev1.Service{svc}, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443, eps(step)...)}}
		r := desired.Compute(w.input(cfg, prev, drain, now))
		for _, c := range desired.Diff(r.State, actual, managed, r.Frozen) {
			if c.Op == desired.OpDelete {
				t.Fatalf("step %d deletes the virtual service", step)
			}
			desired.ApplyTo(actual, c)
		}
		in := 0
		for _, rs := range actual[k].RealServers {
			if rs.Weight > 0 {
				in++
			}
		}
		if in < len(old)-1 {
			t.Errorf("step %d: only %d real servers in rotation", step, in)
		}
		prev, drain = r.State, r.DrainSince
		now = now.Add(10 * time.Second)
	}
	now = now.Add(time.Minute)
	w := world{svcs: []*corev1.Service{svc}, slices: []*discoveryv1.EndpointSlice{tu.Slice("shop", "web", "a", "https", "", 8443, eps(len(old))...)}}
	r := desired.Compute(w.input(cfg, prev, drain, now))
	for _, c := range desired.Diff(r.State, actual, managed, r.Frozen) {
		desired.ApplyTo(actual, c)
	}
	got := weights(actual, k)
	if len(got) != 3 || got["10.1.1.1:8443"] != 100 || got["10.1.1.3:8443"] != 100 {
		t.Errorf("after the roll and the drain: %v, want the three new pods only", got)
	}
}
