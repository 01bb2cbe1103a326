// Package agent is the director agent's control loop, in the shape of
// kube-proxy and MetalLB's speaker: one agent per director list-watches the
// labelled Services and their EndpointSlices (shared informers, listers),
// queues the VIPs they touch (rate-limited workqueue, one VIP never in two
// workers), computes that VIP's desired virtual services with pure
// functions (package desired), diffs them against what the director holds
// and applies only the changes, one batch per virtual service. It starts
// by reading the director's actual state, so a restarted agent resyncs from
// scratch, and re-reads it periodically to repair drift. It also owns the
// director's addresses (VIPs and its LIP block) and puts them back when the
// data plane loses them (a DPVS restart recreates its KNI device empty).
package agent

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/metrics"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

const (
	vipIndex = "vip"
	svcIndex = "service"
	// TriggerTimeAnnotation is set by the EndpointSlice controller to when
	// the change that produced the slice happened (kube-proxy measures its
	// network programming latency from it, and so do we).
	TriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"
	allVIPs               = "\x00resync"
)

// Options of an agent.
type Options struct {
	Config  *model.Config
	Client  kubernetes.Interface
	Backend backend.Backend
	Metrics *metrics.Metrics
	// Health is nil when the agent does not check real servers itself.
	Health func(model.VSKey, model.RSKey) desired.Health
	// OnDesired is told each VIP's desired state (the prober's targets).
	OnDesired func(vip string, st model.State)
	// Workers processing VIPs in parallel. Default 4.
	Workers int
	// AddressInterval: how often the addresses are checked and restored. Default 2 s.
	AddressInterval time.Duration
	// LedgerFile records the addresses the agent added, so it only ever removes its own ("" = memory only).
	LedgerFile string
	// Now is the clock (tests move it). Default time.Now.
	Now func() time.Time
}

// Agent is one director's agent.
type Agent struct {
	o        Options
	factory  informers.SharedInformerFactory
	svcInf   cache.SharedIndexInformer
	sliceInf cache.SharedIndexInformer
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder record.EventRecorder
	bcast    record.EventBroadcaster

	mu       sync.Mutex
	applied  model.State // what the director holds, as far as the agent knows
	prev     model.State // last desired (drain)
	drain    map[model.VSKey]map[model.RSKey]time.Time
	pending  map[string]time.Time // VIP → when its oldest unapplied change happened
	problems map[string][]model.Problem
	evented  map[string]string // Service → last problem reported as an Event
	ledger   map[string]bool
	synced   bool
}

// New builds an agent (informers are created, nothing runs yet).
func New(o Options) (*Agent, error) {
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.AddressInterval == 0 {
		o.AddressInterval = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sel, err := labels.Parse(o.Config.Service.Selector)
	if err != nil {
		return nil, fmt.Errorf("service.selector %q: %w (expected a label selector)", o.Config.Service.Selector, err)
	}
	a := &Agent{
		o: o, applied: model.State{}, prev: model.State{}, drain: map[model.VSKey]map[model.RSKey]time.Time{},
		pending: map[string]time.Time{}, problems: map[string][]model.Problem{}, evented: map[string]string{}, ledger: map[string]bool{},
	}
	// Only labelled objects are listed and watched, never every Service of
	// the cluster. The EndpointSlice controller copies a Service's labels onto
	// its slices, so the same selector finds them.
	a.factory = informers.NewSharedInformerFactoryWithOptions(o.Client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = sel.String() }))
	a.svcInf = a.factory.Core().V1().Services().Informer()
	a.sliceInf = a.factory.Discovery().V1().EndpointSlices().Informer()
	if err := a.svcInf.AddIndexers(cache.Indexers{vipIndex: func(obj any) ([]string, error) {
		s, ok := obj.(*corev1.Service)
		if !ok {
			return nil, nil
		}
		return []string{desired.ClaimedVIP(o.Config, s)}, nil
	}}); err != nil {
		return nil, err
	}
	if err := a.sliceInf.AddIndexers(cache.Indexers{svcIndex: func(obj any) ([]string, error) {
		s, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return nil, nil
		}
		return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
	}}); err != nil {
		return nil, err
	}
	a.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 30*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "vips"})
	a.bcast = record.NewBroadcaster()
	a.recorder = a.bcast.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "lvs-director-agent", Host: o.Config.Director})

	_, _ = a.svcInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { a.serviceChanged(nil, obj) },
		UpdateFunc: func(old, obj any) {
			a.serviceChanged(old, obj)
		},
		DeleteFunc: func(obj any) { a.serviceChanged(nil, obj) },
	})
	_, _ = a.sliceInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { a.sliceChanged(obj) },
		UpdateFunc: func(_, obj any) { a.sliceChanged(obj) },
		DeleteFunc: func(obj any) { a.sliceChanged(obj) },
	})
	o.Metrics.SetApplied(a.Applied)
	return a, nil
}

func unwrap(obj any) any {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d.Obj
	}
	return obj
}

func (a *Agent) mark(vip string, at time.Time) {
	if vip == "" {
		return
	}
	a.mu.Lock()
	if t, ok := a.pending[vip]; !ok || at.Before(t) {
		a.pending[vip] = at
	}
	a.mu.Unlock()
	a.queue.Add(vip)
}

func (a *Agent) serviceChanged(old, obj any) {
	now := a.o.Now()
	if s, ok := unwrap(obj).(*corev1.Service); ok {
		a.mark(desired.ClaimedVIP(a.o.Config, s), now)
	}
	if s, ok := unwrap(old).(*corev1.Service); ok && old != nil {
		a.mark(desired.ClaimedVIP(a.o.Config, s), now)
	}
}

func (a *Agent) sliceChanged(obj any) {
	sl, ok := unwrap(obj).(*discoveryv1.EndpointSlice)
	if !ok {
		return
	}
	at := a.o.Now()
	if t, err := time.Parse(time.RFC3339, sl.Annotations[TriggerTimeAnnotation]); err == nil && t.Before(at) {
		at = t
	}
	svcs, _ := a.svcInf.GetIndexer().ByIndex(cache.NamespaceIndex, sl.Namespace)
	name := sl.Labels[discoveryv1.LabelServiceName]
	for _, o := range svcs {
		if s := o.(*corev1.Service); s.Name == name {
			a.mark(desired.ClaimedVIP(a.o.Config, s), at)
		}
	}
}

// Run starts everything and blocks until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	a.bcast.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.o.Client.CoreV1().Events("")})
	defer a.bcast.Shutdown()
	defer a.queue.ShutDown()
	a.loadLedger()
	a.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), a.svcInf.HasSynced, a.sliceInf.HasSynced) {
		return fmt.Errorf("informers did not sync: %w", ctx.Err())
	}
	// Start from what the director really holds: a restarted agent resyncs from scratch.
	a.Resync(ctx)
	a.mu.Lock()
	a.synced = true
	a.mu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < a.o.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); wait.UntilWithContext(ctx, a.worker, time.Second) }()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		wait.UntilWithContext(ctx, a.Resync, time.Duration(a.o.Config.ResyncSeconds)*time.Second)
	}()
	go func() { defer wg.Done(); wait.UntilWithContext(ctx, a.EnsureAddresses, a.o.AddressInterval) }()
	<-ctx.Done()
	a.queue.ShutDown()
	wg.Wait()
	return nil
}

// Ready reports whether the first full resync is done.
func (a *Agent) Ready() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.synced
}

func (a *Agent) worker(ctx context.Context) {
	for {
		vip, quit := a.queue.Get()
		if quit {
			return
		}
		err := a.Sync(ctx, vip)
		if err != nil {
			klog.ErrorS(err, "sync failed, will retry", "vip", vip)
			a.queue.AddRateLimited(vip)
		} else {
			a.queue.Forget(vip)
		}
		a.queue.Done(vip)
	}
}

func (a *Agent) slicesOf(ns, name string) []*discoveryv1.EndpointSlice {
	objs, _ := a.sliceInf.GetIndexer().ByIndex(svcIndex, ns+"/"+name)
	out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*discoveryv1.EndpointSlice))
	}
	return out
}

func (a *Agent) servicesOf(vip string) []*corev1.Service {
	objs, _ := a.svcInf.GetIndexer().ByIndex(vipIndex, vip)
	out := make([]*corev1.Service, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*corev1.Service))
	}
	return out
}

func filterVIP(s model.State, vip string) model.State {
	out := model.State{}
	for k, v := range s {
		if k.VIP == vip {
			out[k] = v
		}
	}
	return out
}

// Sync reconciles one VIP: desired from the informers' caches, diff against
// what the director holds, apply each changed virtual service.
func (a *Agent) Sync(ctx context.Context, vip string) error {
	cfg := a.o.Config
	now := a.o.Now()
	a.mu.Lock()
	prev := filterVIP(a.prev, vip)
	drain := map[model.VSKey]map[model.RSKey]time.Time{}
	for k, m := range a.drain {
		if k.VIP == vip {
			drain[k] = m
		}
	}
	actual := filterVIP(a.applied, vip)
	pendingSince, hasPending := a.pending[vip]
	delete(a.pending, vip)
	a.mu.Unlock()

	res := desired.Compute(desired.Input{
		Config: cfg, Services: a.servicesOf(vip), Slices: a.slicesOf,
		Health: a.o.Health, Prev: prev, DrainSince: drain, Now: now,
	})
	a.report(vip, res.Problems)
	managed := cfg.ManagedVIPs()
	changes := desired.Diff(res.State, actual, func(v string) bool { return managed[v] }, res.Frozen)
	var firstErr error
	for _, c := range changes {
		if err := a.o.Backend.Apply(ctx, c, cfg.LIPs); err != nil {
			a.o.Metrics.ApplyErrors.WithLabelValues(string(c.Op)).Inc()
			if firstErr == nil {
				firstErr = fmt.Errorf("apply %s %s: %w", c.Op, c.Key, err)
			}
			// The director may hold a half-applied batch: forget what we
			// believed about this virtual service and read it back.
			a.reread(ctx, c.Key)
			continue
		}
		a.o.Metrics.AppliedChanges.WithLabelValues(string(c.Op)).Inc()
		a.mu.Lock()
		desired.ApplyTo(a.applied, c)
		a.mu.Unlock()
	}
	a.mu.Lock()
	for k := range a.prev {
		if k.VIP == vip && !res.Frozen[vip] {
			delete(a.prev, k)
		}
	}
	for k := range a.drain {
		if k.VIP == vip {
			delete(a.drain, k)
		}
	}
	for k, v := range res.State {
		a.prev[k] = v
	}
	for k, m := range res.DrainSince {
		a.drain[k] = m
	}
	if firstErr != nil && hasPending {
		if t, ok := a.pending[vip]; !ok || pendingSince.Before(t) {
			a.pending[vip] = pendingSince
		}
	}
	a.mu.Unlock()
	if a.o.OnDesired != nil {
		a.o.OnDesired(vip, res.State)
	}
	if firstErr != nil {
		return firstErr
	}
	if hasPending {
		a.o.Metrics.ReconcileLatency.Observe(a.o.Now().Sub(pendingSince).Seconds())
	}
	if !res.NextDeadline.IsZero() {
		a.queue.AddAfter(vip, res.NextDeadline.Sub(now))
	}
	return nil
}

func cloneState(s model.State) model.State {
	out := make(model.State, len(s))
	for k, v := range s {
		out[k] = v.Clone()
	}
	return out
}

func (a *Agent) reread(ctx context.Context, k model.VSKey) {
	actual, err := a.o.Backend.List(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.o.Metrics.ApplyErrors.WithLabelValues("list").Inc()
		delete(a.applied, k)
		return
	}
	if v, ok := actual[k]; ok {
		a.applied[k] = v
	} else {
		delete(a.applied, k)
	}
}

// report turns problems into Events (once per Service and message) and the metric.
func (a *Agent) report(vip string, ps []model.Problem) {
	a.mu.Lock()
	a.problems[vip] = ps
	counts := map[model.Reason]int{}
	bad := map[string]bool{}
	for _, list := range a.problems {
		for _, p := range list {
			counts[p.Reason]++
			bad[p.Namespace+"/"+p.Name] = true
		}
	}
	var toSend []model.Problem
	for _, p := range ps {
		k := p.Namespace + "/" + p.Name
		if a.evented[k] != p.Message {
			a.evented[k] = p.Message
			toSend = append(toSend, p)
		}
	}
	for k := range a.evented {
		if !bad[k] {
			delete(a.evented, k)
		}
	}
	a.mu.Unlock()
	for _, r := range model.AllReasons {
		a.o.Metrics.Rejected.WithLabelValues(string(r)).Set(float64(counts[r]))
	}
	for _, p := range toSend {
		obj, exists, _ := a.svcInf.GetIndexer().GetByKey(p.Namespace + "/" + p.Name)
		if !exists {
			continue
		}
		klog.InfoS("refusing Service", "service", p.Namespace+"/"+p.Name, "reason", p.Reason, "message", p.Message)
		a.recorder.Eventf(obj.(*corev1.Service), corev1.EventTypeWarning, string(p.Reason),
			"director %s: %s; nothing is applied for VIP %s", a.o.Config.Director, p.Message, vip)
	}
}

// Resync re-reads the director: differences from what the agent applied
// are drift (someone ran ipvsadm by hand, the data plane restarted); the
// affected VIPs are reconciled again. Every VIP is queued once.
func (a *Agent) Resync(ctx context.Context) {
	actual, err := a.o.Backend.List(ctx)
	if err != nil {
		a.o.Metrics.ApplyErrors.WithLabelValues("list").Inc()
		klog.ErrorS(err, "reading the director's virtual services")
		return
	}
	managed := a.o.Config.ManagedVIPs()
	vips := map[string]bool{}
	for v := range managed {
		vips[v] = true
	}
	a.mu.Lock()
	first := !a.synced
	mine := model.State{}
	for k, v := range actual {
		if managed[k.VIP] {
			mine[k] = v
		}
	}
	now := a.o.Now()
	if !first {
		drifted := 0
		for _, k := range unionKeys(mine, a.applied) {
			if !sameVS(mine[k], a.applied[k]) {
				drifted++
				if _, ok := a.pending[k.VIP]; !ok {
					a.pending[k.VIP] = now
				}
			}
		}
		if drifted > 0 {
			a.o.Metrics.DriftRepairs.WithLabelValues("virtual_server").Add(float64(drifted))
			klog.InfoS("drift found on the director", "virtualServices", drifted)
		}
	}
	a.applied = mine
	a.mu.Unlock()
	for _, s := range a.svcInf.GetIndexer().List() {
		vips[desired.ClaimedVIP(a.o.Config, s.(*corev1.Service))] = true
	}
	for v := range vips {
		if v != "" {
			a.queue.Add(v)
		}
	}
}

func unionKeys(a, b model.State) []model.VSKey {
	m := map[model.VSKey]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	out := make([]model.VSKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sameVS(a, b model.VirtualServer) bool {
	if a.Scheduler != b.Scheduler || len(a.RealServers) != len(b.RealServers) {
		return false
	}
	for k, r := range a.RealServers {
		if b.RealServers[k] != r {
			return false
		}
	}
	return true
}

// Applied returns a copy of what the agent believes the director holds.
func (a *Agent) Applied() model.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return cloneState(a.applied)
}

// WantedAddresses are the addresses a director must have: every VIP as a
// /32, the first LIP with the block's prefix (its connected route is what
// BIRD announces for the block) and the other LIPs as /32s.
func WantedAddresses(cfg *model.Config) map[string]bool {
	w := map[string]bool{}
	for _, v := range cfg.VIPs {
		w[v.VIP+"/32"] = true
	}
	for _, v := range cfg.StaticVIPs {
		w[v+"/32"] = true
	}
	p, err := netip.ParsePrefix(cfg.LIPBlock)
	for i, l := range cfg.LIPs {
		if i == 0 && err == nil {
			w[fmt.Sprintf("%s/%d", l, p.Bits())] = true
		} else {
			w[l+"/32"] = true
		}
	}
	return w
}

func (a *Agent) isLIP(addr string) bool {
	h := addr
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		h = addr[:i]
	}
	for _, l := range a.o.Config.LIPs {
		if l == h {
			return true
		}
	}
	return false
}

// EnsureAddresses puts missing VIPs/LIPs back and removes addresses the
// agent itself added that are no longer wanted — never anything else on the
// interface (a loopback router ID, an operator's address): the ledger
// remembers what is ours.
func (a *Agent) EnsureAddresses(ctx context.Context) {
	have, err := a.o.Backend.Addresses(ctx)
	if err != nil {
		a.o.Metrics.ApplyErrors.WithLabelValues("address").Inc()
		klog.ErrorS(err, "reading the director's addresses")
		return
	}
	want := WantedAddresses(a.o.Config)
	a.mu.Lock()
	ledger := make(map[string]bool, len(a.ledger))
	for k := range a.ledger {
		ledger[k] = true
	}
	a.mu.Unlock()
	changed := false
	for _, addr := range sortedKeys(want) {
		if have[addr] {
			continue
		}
		if err := a.o.Backend.AddAddress(ctx, addr, a.isLIP(addr)); err != nil {
			a.o.Metrics.ApplyErrors.WithLabelValues("address").Inc()
			klog.ErrorS(err, "adding address", "address", addr)
			continue
		}
		if ledger[addr] {
			// It was ours and it vanished: the data plane restarted.
			a.o.Metrics.DriftRepairs.WithLabelValues("address").Inc()
			klog.InfoS("restored address", "address", addr)
		}
		ledger[addr] = true
		changed = true
	}
	for _, addr := range sortedKeys(ledger) {
		if want[addr] {
			continue
		}
		if have[addr] {
			if err := a.o.Backend.DelAddress(ctx, addr, a.isLIP(addr)); err != nil {
				a.o.Metrics.ApplyErrors.WithLabelValues("address").Inc()
				continue
			}
		}
		delete(ledger, addr)
		changed = true
	}
	a.mu.Lock()
	a.ledger = ledger
	a.mu.Unlock()
	if changed {
		a.saveLedger(ledger)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (a *Agent) loadLedger() {
	if a.o.LedgerFile == "" {
		return
	}
	b, err := os.ReadFile(a.o.LedgerFile)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range strings.Fields(string(b)) {
		a.ledger[l] = true
	}
}

func (a *Agent) saveLedger(l map[string]bool) {
	if a.o.LedgerFile == "" {
		return
	}
	_ = os.MkdirAll(filepath.Dir(a.o.LedgerFile), 0o755)
	tmp := a.o.LedgerFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(sortedKeys(l), "\n")+"\n"), 0o644); err == nil {
		_ = os.Rename(tmp, a.o.LedgerFile)
	}
}

// Enqueue asks for a VIP to be reconciled (a real server's health changed).
func (a *Agent) Enqueue(vip string) { a.queue.Add(vip) }
