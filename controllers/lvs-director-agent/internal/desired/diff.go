package desired

import (
	"sort"

	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// Op is what happens to one virtual service.
type Op string

const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Change is everything to do to one virtual service, applied as one batch.
type Change struct {
	Op  Op
	Key model.VSKey
	// Scheduler to set (create, or update when it changed; "" = unchanged).
	Scheduler string
	// Real servers to add, to change the weight of, and to remove; sorted.
	Add, Edit []model.RealServer
	Remove    []model.RSKey
}

// Diff returns the changes that turn actual into desired, one per virtual
// service that differs, sorted by key. Only virtual services on managed
// VIPs are touched (the API server's belongs to keepalived), and nothing on
// a frozen VIP.
func Diff(desired, actual model.State, managed func(vip string) bool, frozen map[string]bool) []Change {
	var out []Change
	for k, d := range desired {
		if frozen[k.VIP] || !managed(k.VIP) {
			continue
		}
		a, ok := actual[k]
		if !ok {
			out = append(out, Change{Op: OpCreate, Key: k, Scheduler: d.Scheduler, Add: d.SortedRealServers()})
			continue
		}
		c := Change{Op: OpUpdate, Key: k}
		if a.Scheduler != d.Scheduler {
			c.Scheduler = d.Scheduler
		}
		for rk, r := range d.RealServers {
			ar, ok := a.RealServers[rk]
			switch {
			case !ok:
				c.Add = append(c.Add, r)
			case ar.Weight != r.Weight:
				c.Edit = append(c.Edit, r)
			}
		}
		for rk := range a.RealServers {
			if _, ok := d.RealServers[rk]; !ok {
				c.Remove = append(c.Remove, rk)
			}
		}
		if c.Scheduler == "" && len(c.Add) == 0 && len(c.Edit) == 0 && len(c.Remove) == 0 {
			continue
		}
		sortRS(c.Add)
		sortRS(c.Edit)
		sort.Slice(c.Remove, func(i, j int) bool { return model.LessRS(c.Remove[i], c.Remove[j]) })
		out = append(out, c)
	}
	for k := range actual {
		if _, ok := desired[k]; ok || frozen[k.VIP] || !managed(k.VIP) {
			continue
		}
		out = append(out, Change{Op: OpDelete, Key: k})
	}
	sort.Slice(out, func(i, j int) bool { return model.LessVS(out[i].Key, out[j].Key) })
	return out
}

func sortRS(s []model.RealServer) {
	sort.Slice(s, func(i, j int) bool { return model.LessRS(s[i].RSKey, s[j].RSKey) })
}

// ApplyTo returns state with the change applied (what a director holds after it).
func ApplyTo(state model.State, c Change) {
	switch c.Op {
	case OpDelete:
		delete(state, c.Key)
		return
	case OpCreate:
		state[c.Key] = model.VirtualServer{Key: c.Key, Scheduler: c.Scheduler, RealServers: map[model.RSKey]model.RealServer{}}
	}
	vs := state[c.Key]
	if vs.RealServers == nil {
		vs.RealServers = map[model.RSKey]model.RealServer{}
	}
	if c.Scheduler != "" {
		vs.Scheduler = c.Scheduler
	}
	for _, r := range c.Add {
		vs.RealServers[r.RSKey] = r
	}
	for _, r := range c.Edit {
		vs.RealServers[r.RSKey] = r
	}
	for _, r := range c.Remove {
		delete(vs.RealServers, r)
	}
	state[c.Key] = vs
}
