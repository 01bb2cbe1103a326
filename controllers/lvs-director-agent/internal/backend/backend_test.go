package backend_test

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

func fixture(t *testing.T, name string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func k(vip string, port int32, p model.Protocol) model.VSKey {
	return model.VSKey{VIP: vip, Port: port, Protocol: p}
}
func r(ip string, port int32) model.RSKey { return model.RSKey{IP: ip, Port: port} }

func TestParseList(t *testing.T) {
	st, active, err := backend.ParseList(fixture(t, "list-dpvs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 4 {
		t.Fatalf("virtual services %v, want 4", st.Keys())
	}
	web := st[k("10.30.1.1", 443, model.TCP)]
	if web.Scheduler != "wrr" || web.RealServers[r("10.100.0.2", 8443)].Weight != 0 || web.RealServers[r("10.100.0.1", 8443)].Weight != 100 {
		t.Errorf("web = %+v", web)
	}
	if got := active[k("10.30.1.1", 443, model.TCP)][r("10.100.0.1", 8443)]; got != 12 {
		t.Errorf("active connections = %d, want 12", got)
	}
	if udp := st[k("10.30.1.2", 5228, model.UDP)]; udp.Scheduler != "rr" || len(udp.RealServers) != 1 {
		t.Errorf("udp = %+v", udp)
	}
	if empty, ok := st[k("10.30.1.3", 80, model.TCP)]; !ok || len(empty.RealServers) != 0 {
		t.Errorf("an empty virtual service must be listed: %+v", empty)
	}
}

func TestParseListRejectsGarbage(t *testing.T) {
	for _, in := range []string{"  -> 10.0.0.1:80 FullNat 100 0 0\n", "TCP 10.0.0.1 wrr\n", "TCP  10.30.1.1:443 wrr\n  -> 10.0.0.1:80 FullNat x 0 0\n"} {
		if _, _, err := backend.ParseList(in); err == nil {
			t.Errorf("no error for %q", in)
		}
	}
}

func TestParseStats(t *testing.T) {
	s, err := backend.ParseStats(fixture(t, "stats-dpvs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := backend.Stats{Conns: 1532081, InPackets: 98233411, OutPackets: 87123456, InBytes: 9123456789, OutBytes: 81234567890}
	if len(s) != 3 || s[0].Key != k("10.30.1.1", 443, model.TCP) || s[0].Stats != want {
		t.Fatalf("stats = %+v", s)
	}
	if s[1].Key.Protocol != model.UDP || s[1].Stats.InBytes != 27200 {
		t.Errorf("udp stats = %+v", s[1])
	}
	// Without --exact ipvsadm prints 9123M: refused rather than misread.
	if _, err := backend.ParseStats("TCP  10.30.1.1:443  1532K 98M 87M 9123M 81G\n"); err == nil || !strings.Contains(err.Error(), "--exact") {
		t.Errorf("scaled numbers: err = %v", err)
	}
}

var change = desired.Change{
	Op: desired.OpUpdate, Key: k("10.30.1.1", 443, model.TCP), Scheduler: "sh",
	Add:    []model.RealServer{{RSKey: r("10.100.0.3", 8443), Weight: 100}},
	Edit:   []model.RealServer{{RSKey: r("10.100.0.2", 8443), Weight: 0}},
	Remove: []model.RSKey{r("10.100.0.1", 8443)},
}

// The exact commands each dialect runs: one `ipvsadm -R` per virtual
// service, new real servers before removals.
func TestApplyCommands(t *testing.T) {
	create := desired.Change{Op: desired.OpCreate, Key: k("10.30.1.2", 5228, model.UDP), Scheduler: "rr",
		Add: []model.RealServer{{RSKey: r("10.100.1.1", 5228), Weight: 100}}}
	del := desired.Change{Op: desired.OpDelete, Key: k("10.30.1.3", 80, model.TCP)}
	lips := []string{"10.40.0.1", "10.40.0.2"}
	cases := []struct {
		name string
		be   func(backend.Runner) backend.Backend
		c    desired.Change
		want string
	}{
		{"dpvs update", func(r backend.Runner) backend.Backend { return backend.NewDPVS(r, "dpdk0", "dpdk0.kni") }, change,
			"-E -t 10.30.1.1:443 -s sh\n-a -t 10.30.1.1:443 -r 10.100.0.3:8443 -b -w 100\n-e -t 10.30.1.1:443 -r 10.100.0.2:8443 -b -w 0\n-d -t 10.30.1.1:443 -r 10.100.0.1:8443\n"},
		{"dpvs create UDP with LIPs on the DPDK port", func(r backend.Runner) backend.Backend { return backend.NewDPVS(r, "dpdk0", "dpdk0.kni") }, create,
			"-A -u 10.30.1.2:5228 -s rr\n-P -u 10.30.1.2:5228 -z 10.40.0.1 -F dpdk0\n-P -u 10.30.1.2:5228 -z 10.40.0.2 -F dpdk0\n-a -u 10.30.1.2:5228 -r 10.100.1.1:5228 -b -w 100\n"},
		{"alibaba create", func(r backend.Runner) backend.Backend { return backend.NewAlibaba(r, "lo") }, create,
			"-A -u 10.30.1.2:5228 -s rr\n-P -u 10.30.1.2:5228 -z 10.40.0.1\n-P -u 10.30.1.2:5228 -z 10.40.0.2\n-a -u 10.30.1.2:5228 -r 10.100.1.1:5228 -b -w 100\n"},
		{"alibaba delete", func(r backend.Runner) backend.Backend { return backend.NewAlibaba(r, "lo") }, del, "-D -t 10.30.1.3:80\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &backend.RecordingRunner{}
			if err := c.be(rec).Apply(context.Background(), c.c, lips); err != nil {
				t.Fatal(err)
			}
			if len(rec.Calls) != 1 || rec.Calls[0].Cmd != "ipvsadm -R" {
				t.Fatalf("calls = %+v, want one ipvsadm -R", rec.Calls)
			}
			if rec.Calls[0].Stdin != c.want {
				t.Errorf("batch =\n%s\nwant\n%s", rec.Calls[0].Stdin, c.want)
			}
		})
	}
}

func TestAddressCommands(t *testing.T) {
	ctx := context.Background()
	rec := &backend.RecordingRunner{}
	d := backend.NewDPVS(rec, "dpdk0", "dpdk0.kni")
	_ = d.AddAddress(ctx, "10.30.1.1/32", false)
	_ = d.AddAddress(ctx, "10.40.0.1/29", true)
	_ = d.DelAddress(ctx, "10.30.1.9/32", false)
	a := backend.NewAlibaba(rec, "lo")
	_ = a.AddAddress(ctx, "10.30.1.1/32", false)
	_ = a.DelAddress(ctx, "10.30.1.9/32", false)
	var got []string
	for _, c := range rec.Calls {
		got = append(got, c.Cmd)
	}
	want := []string{
		"dpip addr add 10.30.1.1/32 dev dpdk0", "ip addr replace 10.30.1.1/32 dev dpdk0.kni",
		"dpip addr add 10.40.0.1/32 dev dpdk0 sapool", "ip addr replace 10.40.0.1/29 dev dpdk0.kni",
		"ip addr del 10.30.1.9/32 dev dpdk0.kni", "dpip addr del 10.30.1.9/32 dev dpdk0",
		"ip addr replace 10.30.1.1/32 dev lo", "ip addr del 10.30.1.9/32 dev lo",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// DPVS: an address counts only when both DPVS (dpip) and the KNI device
// (what BIRD sees) have it — after a DPVS restart the KNI copy is gone.
func TestDPVSAddresses(t *testing.T) {
	rec := &backend.RecordingRunner{Outputs: map[string]string{
		"ip -4 -o addr show dev dpdk0.kni": "7: dpdk0.kni    inet 10.30.1.1/32 scope global dpdk0.kni\\       valid_lft forever preferred_lft forever\n7: dpdk0.kni    inet 10.40.0.1/29 scope global dpdk0.kni\n7: dpdk0.kni    inet 10.30.1.2/32 scope global dpdk0.kni\n",
		"dpip addr show dev dpdk0":         "inet 10.30.1.1/32 scope global dpdk0\n     valid_lft forever preferred_lft forever\ninet 10.40.0.1/32 scope global dpdk0\n     valid_lft forever preferred_lft forever sa_used 0 sa_free 1032176 sa_miss 0\n",
	}}
	got, err := backend.NewDPVS(rec, "dpdk0", "dpdk0.kni").Addresses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"10.30.1.1/32": true, "10.40.0.1/29": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("addresses = %v, want %v (10.30.1.2 is not in DPVS)", got, want)
	}
}
