package desired_test

import (
	"reflect"
	"testing"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

func vs(vip string, port int32, sched string, rs map[string]int32) model.VirtualServer {
	k := key(vip, port, model.TCP)
	v := model.VirtualServer{Key: k, Scheduler: sched, RealServers: map[model.RSKey]model.RealServer{}}
	for ip, w := range rs {
		r := model.RSKey{IP: ip, Port: 80}
		v.RealServers[r] = model.RealServer{RSKey: r, Weight: w}
	}
	return v
}

func st(v ...model.VirtualServer) model.State {
	s := model.State{}
	for _, x := range v {
		s[x.Key] = x
	}
	return s
}

func rs(ip string, w int32) model.RealServer {
	return model.RealServer{RSKey: model.RSKey{IP: ip, Port: 80}, Weight: w}
}

func TestDiffTable(t *testing.T) {
	const a, b, api = "10.30.1.1", "10.30.1.2", "10.31.0.10"
	managed := func(v string) bool { return v != api }
	cases := []struct {
		name            string
		desired, actual model.State
		frozen          map[string]bool
		want            []desired.Change
	}{
		{"equal: nothing", st(vs(a, 80, "wrr", map[string]int32{"10.0.0.1": 100})), st(vs(a, 80, "wrr", map[string]int32{"10.0.0.1": 100})), nil, nil},
		{"new virtual service: created with its real servers, sorted",
			st(vs(a, 80, "wrr", map[string]int32{"10.0.0.10": 100, "10.0.0.9": 100})), st(), nil,
			[]desired.Change{{Op: desired.OpCreate, Key: key(a, 80, model.TCP), Scheduler: "wrr", Add: []model.RealServer{rs("10.0.0.9", 100), rs("10.0.0.10", 100)}}}},
		{"only what changed: one added, one weight, one removed, the other virtual service untouched",
			st(vs(a, 80, "wrr", map[string]int32{"10.0.0.1": 100, "10.0.0.2": 0, "10.0.0.4": 100}), vs(b, 80, "wrr", map[string]int32{"10.0.1.1": 100})),
			st(vs(a, 80, "wrr", map[string]int32{"10.0.0.1": 100, "10.0.0.2": 100, "10.0.0.3": 100}), vs(b, 80, "wrr", map[string]int32{"10.0.1.1": 100})),
			nil,
			[]desired.Change{{Op: desired.OpUpdate, Key: key(a, 80, model.TCP), Add: []model.RealServer{rs("10.0.0.4", 100)}, Edit: []model.RealServer{rs("10.0.0.2", 0)}, Remove: []model.RSKey{{IP: "10.0.0.3", Port: 80}}}}},
		{"scheduler change", st(vs(a, 80, "sh", nil)), st(vs(a, 80, "wrr", nil)), nil,
			[]desired.Change{{Op: desired.OpUpdate, Key: key(a, 80, model.TCP), Scheduler: "sh"}}},
		{"gone Service: virtual service deleted", st(), st(vs(a, 80, "wrr", nil)), nil,
			[]desired.Change{{Op: desired.OpDelete, Key: key(a, 80, model.TCP)}}},
		{"the API server's virtual service (keepalived's) is never touched", st(), st(vs(api, 6443, "wrr", nil)), nil, nil},
		{"a frozen VIP is left as it is", st(), st(vs(a, 80, "wrr", nil)), map[string]bool{a: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := desired.Diff(c.desired, c.actual, managed, c.frozen)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Diff =\n%+v\nwant\n%+v", got, c.want)
			}
			// Applying the diff reaches the desired state (on managed, unfrozen VIPs).
			after := model.State{}
			for k, v := range c.actual {
				after[k] = v.Clone()
			}
			for _, ch := range got {
				desired.ApplyTo(after, ch)
			}
			if len(desired.Diff(c.desired, after, managed, c.frozen)) != 0 {
				t.Errorf("diff not empty after applying it")
			}
		})
	}
}
