package agent_test

import (
	"os"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"private-cloud/controllers/lvs-director-agent/internal/backend"

	"private-cloud/controllers/lvs-director-agent/internal/agent"
	tu "private-cloud/controllers/lvs-director-agent/internal/testutil"
)

func TestScenarioFakeAPI(t *testing.T) {
	scenario(t, fake.NewSimpleClientset(), t.TempDir(), nil)
}

func TestLedgerKeepsOnlyOwnAddresses(t *testing.T) {
	// What the agent added and no longer wants goes; what it never added stays.
	dir := t.TempDir()
	ledger := dir + "/addresses"
	if err := os.WriteFile(ledger, []byte("10.30.9.9/32\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	be := newRecordingWith("10.30.9.9/32", "192.0.2.1/32", "10.30.9.8/32")
	d := startDirector(t, fake.NewSimpleClientset(), "dir-1", be, ledger)
	defer d.stop()
	eventually(t, 5e9, "ledger applied", func() (bool, string) {
		b, _ := os.ReadFile(ledger)
		return !strings.Contains(string(b), "10.30.9.9/32") && strings.Contains(string(b), tu.VIP(0)+"/32"), string(b)
	})
	have, _ := be.Addresses(nil)
	if have["10.30.9.9/32"] || !have["192.0.2.1/32"] || !have["10.30.9.8/32"] {
		t.Errorf("addresses = %v: want the stale own one gone, the foreign ones kept", have)
	}
	w := agent.WantedAddresses(testConfig("dir-1"))
	for a := range w {
		if !have[a] {
			t.Errorf("%s missing", a)
		}
	}
}

func newRecordingWith(addrs ...string) *backend.Recording {
	be := backend.NewRecording()
	for _, a := range addrs {
		be.SetAddress(a)
	}
	return be
}
