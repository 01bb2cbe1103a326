package backend

import (
	"context"
	"fmt"
	"sync"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// Recording holds a director's state in memory and records every change:
// the test and benchmark stand-in for a data plane.
type Recording struct {
	mu      sync.Mutex
	state   model.State
	addrs   map[string]bool
	Changes []desired.Change
	// FailNext makes the next n Apply calls fail (apply-error tests).
	FailNext int
}

func NewRecording() *Recording {
	return &Recording{state: model.State{}, addrs: map[string]bool{}}
}

func (r *Recording) Name() string { return "recording" }

func (r *Recording) List(context.Context) (model.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(model.State, len(r.state))
	for k, v := range r.state {
		out[k] = v.Clone()
	}
	return out, nil
}

func (r *Recording) Apply(_ context.Context, c desired.Change, _ []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.FailNext > 0 {
		r.FailNext--
		return fmt.Errorf("recording backend: injected failure applying %s", c.Key)
	}
	if c.Op == desired.OpCreate {
		if _, ok := r.state[c.Key]; ok {
			return fmt.Errorf("virtual service %s exists", c.Key)
		}
	} else if _, ok := r.state[c.Key]; !ok {
		return fmt.Errorf("virtual service %s does not exist", c.Key)
	}
	desired.ApplyTo(r.state, c)
	r.Changes = append(r.Changes, c)
	return nil
}

func (r *Recording) Stats(context.Context) ([]VSStats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []VSStats
	for _, k := range r.state.Keys() {
		out = append(out, VSStats{Key: k, Active: map[model.RSKey]uint64{}})
	}
	return out, nil
}

func (r *Recording) Addresses(context.Context) (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]bool, len(r.addrs))
	for a := range r.addrs {
		m[a] = true
	}
	return m, nil
}

func (r *Recording) AddAddress(_ context.Context, a string, _ bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[a] = true
	return nil
}

func (r *Recording) DelAddress(_ context.Context, a string, _ bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.addrs, a)
	return nil
}

// Restart simulates a data-plane restart (DPVS recreates its port and KNI
// device empty): every virtual service and address is gone.
func (r *Recording) Restart() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = model.State{}
	r.addrs = map[string]bool{}
}

// SetAddress puts an address that is not the agent's on the director (a loopback router ID).
func (r *Recording) SetAddress(a string) { _ = r.AddAddress(context.Background(), a, false) }

// Tamper changes a virtual service behind the agent's back (drift).
func (r *Recording) Tamper(f func(model.State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.state)
}

// ChangeCount returns how many changes were applied.
func (r *Recording) ChangeCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.Changes)
}
