// Package health checks real servers the way keepalived's TCP_CHECK and
// HTTP_GET do: every interval, a connect (or GET expecting 200) with a
// timeout; after `failures` consecutive failures a real server is down, one
// success brings it back. The agent sets a down real server's weight to 0
// (keepalived's inhibit_on_failure) and exports each check's duration (the
// seed's "real server high latency" alert).
package health

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// Target is one real server to check and how.
type Target struct {
	VS    model.VSKey
	RS    model.RSKey
	Check model.HealthCheck
}

type result struct {
	up       bool
	known    bool
	fails    int
	duration time.Duration
}

// Prober checks targets in the background and calls OnChange(vip) when a
// real server changes state.
type Prober struct {
	Interval, Timeout time.Duration
	Failures          int
	// Concurrency bounds the checks in flight (20,000 real servers per director is the sizing target).
	Concurrency int
	OnChange    func(vip string)

	mu      sync.Mutex
	targets map[key]Target
	results map[key]*result
}

type key struct {
	vs model.VSKey
	rs model.RSKey
}

// SetTargets replaces the set of real servers to check.
func (p *Prober) SetTargets(vip string, ts []Target) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.targets == nil {
		p.targets, p.results = map[key]Target{}, map[key]*result{}
	}
	for k := range p.targets {
		if k.vs.VIP == vip {
			delete(p.targets, k)
		}
	}
	for _, t := range ts {
		p.targets[key{t.VS, t.RS}] = t
	}
}

func (p *Prober) find(vs model.VSKey, rs model.RSKey) *result { return p.results[key{vs, rs}] }

// State returns a real server's health for desired.Compute.
func (p *Prober) State(vs model.VSKey, rs model.RSKey) desired.Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.find(vs, rs)
	switch {
	case r == nil || !r.known:
		return desired.HealthUnknown
	case r.up:
		return desired.HealthUp
	}
	return desired.HealthDown
}

// Observed returns the last check's outcome and duration for the metrics.
func (p *Prober) Observed(vs model.VSKey, rs model.RSKey) (up, known bool, seconds float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.find(vs, rs)
	if r == nil {
		return false, false, 0
	}
	return r.up, r.known, r.duration.Seconds()
}

// Run checks every target each interval until ctx ends.
func (p *Prober) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		p.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Prober) round(ctx context.Context) {
	p.mu.Lock()
	ts := make([]Target, 0, len(p.targets))
	for _, t := range p.targets {
		ts = append(ts, t)
	}
	for k := range p.results {
		if _, ok := p.targets[k]; !ok {
			delete(p.results, k)
		}
	}
	p.mu.Unlock()
	sem := make(chan struct{}, max(1, p.Concurrency))
	var wg sync.WaitGroup
	for _, t := range ts {
		sem <- struct{}{}
		wg.Add(1)
		go func(t Target) {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			err := Check(ctx, t, p.Timeout)
			p.record(t, err == nil, time.Since(start))
		}(t)
	}
	wg.Wait()
}

func (p *Prober) record(t Target, ok bool, d time.Duration) {
	p.mu.Lock()
	k := key{t.VS, t.RS}
	if _, ok := p.targets[k]; !ok {
		p.mu.Unlock()
		return
	}
	r := p.results[k]
	if r == nil {
		r = &result{}
		p.results[k] = r
	}
	before, wasKnown := r.up, r.known
	r.duration = d
	if ok {
		r.fails, r.up, r.known = 0, true, true
	} else {
		r.fails++
		if r.fails >= max(1, p.Failures) {
			r.up, r.known = false, true
		}
	}
	changed := r.known && (!wasKnown || before != r.up)
	p.mu.Unlock()
	if changed && p.OnChange != nil {
		p.OnChange(t.VS.VIP)
	}
}

// Check runs one check against a target.
func Check(ctx context.Context, t Target, timeout time.Duration) error {
	port := t.Check.Port
	if port == 0 {
		port = t.RS.Port
	}
	addr := net.JoinHostPort(t.RS.IP, strconv.Itoa(int(port)))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if t.Check.Kind == "http" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+t.Check.Path, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d (expected 200)", req.URL, resp.StatusCode)
		}
		return nil
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}
