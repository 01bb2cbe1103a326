package agent_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestScenarioSimulatedDatacenter runs the scenario against the real
// kube-apiserver of the simulated datacenter (scripts/sim.sh), including an
// API server restart. tests/e2e/lvs-director-agent.test.ts starts the sim
// and sets:
//
//	LVS_AGENT_KUBECONFIG  the sim's admin kubeconfig
//	LVS_AGENT_SIM_DIR     the sim directory (run/kube-apiserver.pid)
//	LVS_AGENT_SIM_UP      the command that (re)starts what is not running
func TestScenarioSimulatedDatacenter(t *testing.T) {
	kc := os.Getenv("LVS_AGENT_KUBECONFIG")
	if kc == "" {
		t.Skip("LVS_AGENT_KUBECONFIG is not set (tests/e2e/lvs-director-agent.test.ts sets it after starting the simulated datacenter)")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	var restart func(t *testing.T)
	if dir, up := os.Getenv("LVS_AGENT_SIM_DIR"), os.Getenv("LVS_AGENT_SIM_UP"); dir != "" && up != "" {
		restart = func(t *testing.T) {
			b, err := os.ReadFile(dir + "/run/kube-apiserver.pid")
			if err != nil {
				t.Fatal(err)
			}
			var pid int
			if _, err := fmtSscan(strings.TrimSpace(string(b)), &pid); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// kube-apiserver drains its requests on SIGTERM; after 60 s, kill it.
			for i := 0; i < 600 && alive(pid); i++ {
				time.Sleep(100 * time.Millisecond)
			}
			if alive(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				time.Sleep(time.Second)
			}
			t.Logf("API server %d stopped", pid)
			start := time.Now()
			cmd := exec.Command("bash", "-c", up)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", up, err, out)
			}
			t.Logf("API server restarted in %v", time.Since(start).Round(time.Millisecond))
		}
	}
	scenario(t, client, t.TempDir(), restart)
}

func fmtSscan(s string, p *int) (int, error) { return fmt.Sscan(s, p) }

// alive reports whether pid exists and is not a zombie. The sim's API server
// is re-parented to PID 1 once the shell that started it exits, and where PID
// 1 does not reap orphans (CI's container init) the stopped server stays a
// zombie, on which kill(pid, 0) still succeeds: the restart then waited 60 s
// for an exit that had already happened (scripts/lib/proc.sh has the same
// check for sim.sh).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// "pid (comm) state ...": comm may contain spaces or parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
