package metrics_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/metrics"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

func read(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The per-VS counters come from the data plane's statistics (recorded
// `ipvsadm -L -n --stats --exact` output), only for the agent's virtual
// services; every name in metrics.json is exported, and nothing else.
func TestExportedSeriesMatchMetricsJSON(t *testing.T) {
	run := &backend.RecordingRunner{Outputs: map[string]string{
		"ipvsadm -L -n --stats --exact": read(t, "../backend/testdata/stats-dpvs.txt"),
		"ipvsadm -L -n":                 read(t, "../backend/testdata/list-dpvs.txt"),
	}}
	be := backend.NewDPVS(run, "dpdk0", "dpdk0.kni")
	m := metrics.New(be)
	applied, _, err := backend.ParseList(read(t, "../backend/testdata/list-dpvs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	delete(applied, model.VSKey{VIP: "10.31.0.10", Port: 6443, Protocol: model.TCP}) // keepalived's, not ours
	m.SetApplied(func() model.State { return applied })
	m.SetHealth(func(model.VSKey, model.RSKey) (bool, bool, float64) { return true, true, 0.004 })
	m.ReconcileLatency.Observe(0.1)

	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
	}
	for _, s := range metrics.Specs() {
		want = append(want, s.Name)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exported\n%v\nmetrics.json\n%v", got, want)
	}

	expected := `
# HELP lvs_vs_in_bytes_total Bytes from clients to the virtual service.
# TYPE lvs_vs_in_bytes_total counter
lvs_vs_in_bytes_total{port="443",protocol="TCP",vip="10.30.1.1"} 9.123456789e+09
lvs_vs_in_bytes_total{port="5228",protocol="UDP",vip="10.30.1.2"} 27200
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(expected), "lvs_vs_in_bytes_total"); err != nil {
		t.Error(err)
	}
	expected = `
# HELP lvs_rs_active_connections Established connections of a real server.
# TYPE lvs_rs_active_connections gauge
lvs_rs_active_connections{port="443",protocol="TCP",rs="10.100.0.1:8443",vip="10.30.1.1"} 12
lvs_rs_active_connections{port="443",protocol="TCP",rs="10.100.0.2:8443",vip="10.30.1.1"} 2
lvs_rs_active_connections{port="5228",protocol="UDP",rs="10.100.1.1:5228",vip="10.30.1.2"} 0
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(expected), "lvs_rs_active_connections"); err != nil {
		t.Error(err)
	}
	expected = `
# HELP lvs_rs_up 1 when the real server is in rotation (ready, passing its check, weight > 0).
# TYPE lvs_rs_up gauge
lvs_rs_up{port="443",protocol="TCP",rs="10.100.0.1:8443",vip="10.30.1.1"} 1
lvs_rs_up{port="443",protocol="TCP",rs="10.100.0.2:8443",vip="10.30.1.1"} 0
lvs_rs_up{port="5228",protocol="UDP",rs="10.100.1.1:5228",vip="10.30.1.2"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(expected), "lvs_rs_up"); err != nil {
		t.Error(err)
	}
}

func TestSpecsAreComplete(t *testing.T) {
	for k, s := range metrics.Specs() {
		if !strings.HasPrefix(s.Name, "lvs_") || s.Help == "" || (s.Type != "counter" && s.Type != "gauge" && s.Type != "histogram") {
			t.Errorf("%s: %+v", k, s)
		}
		if s.Type == "counter" && !strings.HasSuffix(s.Name, "_total") {
			t.Errorf("%s: counter %s must end in _total", k, s.Name)
		}
	}
}
