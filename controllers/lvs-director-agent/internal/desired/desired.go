// Package desired computes a director's desired virtual servers from the
// labelled Services and their EndpointSlices, and diffs them against what a
// director has. Everything here is a pure function of its inputs (the clock
// is an input too), so the tables in desired_test.go pin the behaviour.
package desired

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// DefaultWeight of a ready, healthy real server (keepalived's default).
const DefaultWeight int32 = 100

// Health is what the agent's prober last saw of a real server.
type Health int

const (
	HealthUnknown Health = iota
	HealthUp
	HealthDown
)

// Input of Compute.
type Input struct {
	Config *model.Config
	// Services that may claim VIPs (already filtered by the label selector).
	Services []*corev1.Service
	// Slices returns the EndpointSlices of a Service.
	Slices func(namespace, name string) []*discoveryv1.EndpointSlice
	// Health of a real server of a virtual service; nil means "no checks": every ready endpoint is up.
	Health func(vs model.VSKey, rs model.RSKey) Health
	// Prev is what was desired last time (for the drain); only its virtual servers matter.
	Prev model.State
	// DrainSince records since when a real server has been leaving (kept between calls).
	DrainSince map[model.VSKey]map[model.RSKey]time.Time
	Now        time.Time
}

// Result of Compute.
type Result struct {
	State    model.State
	Problems []model.Problem
	// Frozen VIPs have a Service with a problem on an address that is theirs:
	// nothing is applied for them (their current state stays as it is).
	Frozen map[string]bool
	// DrainSince to keep for the next call.
	DrainSince map[model.VSKey]map[model.RSKey]time.Time
	// NextDeadline is the earliest moment a draining real server must be
	// removed (zero when nothing drains): the caller reconciles again then.
	NextDeadline time.Time
}

type claimPort struct {
	key  model.VSKey
	port corev1.ServicePort
}

type claim struct {
	svc       *corev1.Service
	vip       string
	scheduler string
	check     model.HealthCheck
	ports     []claimPort
}

func svcName(s *corev1.Service) string { return s.Namespace + "/" + s.Name }

// parseClaim reads one Service. A problem with freeze=true concerns a VIP
// that belongs to the Service's business (so that VIP is left alone); with
// freeze=false the Service claims an address that is not its own and is
// simply ignored, so a typo cannot disturb the rightful owner.
func parseClaim(cfg *model.Config, s *corev1.Service) (c claim, p *model.Problem, freeze bool) {
	a := cfg.Service.Annotations
	vip := s.Annotations[a.VIP]
	prob := func(r model.Reason, format string, args ...any) *model.Problem {
		return &model.Problem{Namespace: s.Namespace, Name: s.Name, VIP: vip, Reason: r, Message: fmt.Sprintf(format, args...)}
	}
	addr, err := netip.ParseAddr(vip)
	if err != nil || !addr.Is4() {
		return c, prob(model.ReasonBadVIP, "annotation %s is %q (expected an IPv4 address: the business's VIP)", a.VIP, vip), false
	}
	if !cfg.InPools(addr) {
		return c, prob(model.ReasonVIPNotInPools, "VIP %s is not in the VIP pools %v (expected the VIP of business %q)", vip, cfg.VIPPools, s.Annotations[a.Business]), false
	}
	business := s.Annotations[a.Business]
	owner := cfg.OwnerOf(vip)
	if owner == "" || owner != business {
		holder := "no business"
		if owner != "" {
			holder = fmt.Sprintf("business %q", owner)
		}
		return c, prob(model.ReasonVIPOfOther, "VIP %s belongs to %s, not to business %q (annotation %s; expected that business's own VIP)", vip, holder, business, a.Business), false
	}
	c = claim{svc: s, vip: vip, scheduler: cfg.Service.DefaultScheduler}
	if sch := s.Annotations[a.Scheduler]; sch != "" {
		if !validScheduler[sch] {
			return c, prob(model.ReasonBadAnnotation, "annotation %s is %q (expected one of rr, wrr, lc, wlc, sh, dh, lblc, lblcr, sed, nq, conhash)", a.Scheduler, sch), true
		}
		c.scheduler = sch
	}
	healthPort := int32(0)
	if hp, ok := s.Annotations[a.HealthCheckPort]; ok {
		n, err := strconv.Atoi(hp)
		if err != nil || n < 1 || n > 65535 {
			return c, prob(model.ReasonBadAnnotation, "annotation %s is %q (expected a port 1-65535)", a.HealthCheckPort, hp), true
		}
		healthPort = int32(n)
	}
	path := s.Annotations[a.HealthCheckPath]
	for _, sp := range s.Spec.Ports {
		proto, ok := model.ParseProtocol(string(sp.Protocol))
		if sp.Protocol == "" {
			proto, ok = model.TCP, true
		}
		if !ok {
			return c, prob(model.ReasonBadAnnotation, "port %d has protocol %s (expected TCP or UDP)", sp.Port, sp.Protocol), true
		}
		if proto == model.UDP && healthPort == 0 {
			return c, prob(model.ReasonUDPWithoutHealth, "port %d/UDP has no health check (expected annotation %s: UDP has nothing to connect to)", sp.Port, a.HealthCheckPort), true
		}
		c.ports = append(c.ports, claimPort{key: model.VSKey{VIP: vip, Port: sp.Port, Protocol: proto}, port: sp})
	}
	switch {
	case healthPort != 0 && path != "":
		c.check = model.HealthCheck{Kind: "http", Port: healthPort, Path: path}
	case healthPort != 0:
		c.check = model.HealthCheck{Kind: "tcp", Port: healthPort}
	default:
		c.check = model.HealthCheck{Kind: "tcp"} // port 0: each real server's own port
	}
	return c, nil, false
}

var validScheduler = map[string]bool{"rr": true, "wrr": true, "lc": true, "wlc": true, "sh": true, "dh": true, "lblc": true, "lblcr": true, "sed": true, "nq": true, "conhash": true}

// endpointsOf returns the ready and the not-ready (or terminating) addresses
// of a Service port in its slices.
func endpointsOf(slices []*discoveryv1.EndpointSlice, sp corev1.ServicePort, proto model.Protocol) (ready, leaving map[model.RSKey]bool) {
	ready, leaving = map[model.RSKey]bool{}, map[model.RSKey]bool{}
	for _, sl := range slices {
		if sl.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		var port int32 = -1
		for _, p := range sl.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			pp := corev1.ProtocolTCP
			if p.Protocol != nil {
				pp = *p.Protocol
			}
			if name == sp.Name && string(pp) == string(proto) && p.Port != nil {
				port = *p.Port
			}
		}
		if port < 0 {
			continue
		}
		for _, ep := range sl.Endpoints {
			// The API says a nil ready means ready; terminating endpoints may
			// still report serving, but get no new connections (drain).
			isReady := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			if ep.Conditions.Terminating != nil && *ep.Conditions.Terminating {
				isReady = false
			}
			for _, a := range ep.Addresses {
				k := model.RSKey{IP: a, Port: port}
				if isReady {
					ready[k] = true
				} else {
					leaving[k] = true
				}
			}
		}
	}
	for k := range ready {
		delete(leaving, k) // the same pod in two slices during a slice rewrite: ready wins
	}
	return ready, leaving
}

// Compute returns the desired state of the given Services' VIPs.
func Compute(in Input) Result {
	cfg := in.Config
	res := Result{State: model.State{}, Frozen: map[string]bool{}, DrainSince: map[model.VSKey]map[model.RSKey]time.Time{}}
	drainWindow := time.Duration(cfg.DrainSeconds) * time.Second

	services := append([]*corev1.Service(nil), in.Services...)
	sort.Slice(services, func(i, j int) bool { return svcName(services[i]) < svcName(services[j]) })

	var claims []claim
	for _, s := range services {
		c, p, freeze := parseClaim(cfg, s)
		if p != nil {
			res.Problems = append(res.Problems, *p)
			if freeze {
				res.Frozen[c.vip] = true
			}
			continue
		}
		claims = append(claims, c)
	}
	// Port clash: two Services on one VIP:port/protocol. Which one is meant
	// cannot be guessed, so neither wins and the VIP stays as it is.
	owners := map[model.VSKey][]string{}
	for _, c := range claims {
		for _, p := range c.ports {
			owners[p.key] = append(owners[p.key], svcName(c.svc))
		}
	}
	for _, c := range claims {
		for _, p := range c.ports {
			if o := owners[p.key]; len(o) > 1 {
				res.Problems = append(res.Problems, model.Problem{
					Namespace: c.svc.Namespace, Name: c.svc.Name, VIP: c.vip, Reason: model.ReasonPortClash,
					Message: fmt.Sprintf("%s is claimed by %d Services %v (expected one Service per VIP port)", p.key, len(o), o),
				})
				res.Frozen[c.vip] = true
				break
			}
		}
	}

	for _, c := range claims {
		if res.Frozen[c.vip] {
			continue
		}
		slices := in.Slices(c.svc.Namespace, c.svc.Name)
		for _, p := range c.ports {
			ready, _ := endpointsOf(slices, p.port, p.key.Protocol)
			vs := model.VirtualServer{Key: p.key, Scheduler: c.scheduler, Check: c.check, Service: svcName(c.svc), RealServers: map[model.RSKey]model.RealServer{}}
			for rs := range ready {
				w := DefaultWeight
				if in.Health != nil && in.Health(p.key, rs) != HealthUp {
					// keepalived's alpha + inhibit_on_failure: out of rotation
					// until the first check passes, kept at weight 0 on failure.
					w = 0
				}
				vs.RealServers[rs] = model.RealServer{RSKey: rs, Weight: w}
			}
			// Drain: a real server that was in the director and is now
			// terminating, not ready or gone keeps weight 0 for the drain
			// window, so its established connections finish (seed part 5).
			prevDrain := in.DrainSince[p.key]
			for rs := range in.Prev[p.key].RealServers {
				if ready[rs] {
					continue
				}
				since, ok := prevDrain[rs]
				if !ok {
					since = in.Now
				}
				deadline := since.Add(drainWindow)
				if !in.Now.Before(deadline) {
					continue // drained: removed
				}
				vs.RealServers[rs] = model.RealServer{RSKey: rs, Weight: 0}
				if res.DrainSince[p.key] == nil {
					res.DrainSince[p.key] = map[model.RSKey]time.Time{}
				}
				res.DrainSince[p.key][rs] = since
				if res.NextDeadline.IsZero() || deadline.Before(res.NextDeadline) {
					res.NextDeadline = deadline
				}
			}
			res.State[p.key] = vs
		}
	}
	// Frozen VIPs keep their drain bookkeeping.
	for k, m := range in.DrainSince {
		if res.Frozen[k.VIP] {
			res.DrainSince[k] = m
		}
	}
	sort.Slice(res.Problems, func(i, j int) bool { return res.Problems[i].String() < res.Problems[j].String() })
	return res
}

// ClaimedVIP returns the VIP a Service claims (its annotation), for indexing.
func ClaimedVIP(cfg *model.Config, s *corev1.Service) string {
	return s.Annotations[cfg.Service.Annotations.VIP]
}
