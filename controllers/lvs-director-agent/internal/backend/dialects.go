package backend

import (
	"context"
	"strings"
)

// NewDPVS drives DPVS: its ipvsadm for virtual services (LIPs per virtual
// service with `-z LIP -F <dpdk port>`), dpip for the addresses DPVS itself
// answers on (VIPs; LIPs go into the port's sapool so DPVS can allocate
// source ports from them), and iproute2 for the KNI copy that BIRD's direct
// protocol sees — the KNI device vanishes when DPVS dies, which is what
// withdraws the routes, and comes back empty when DPVS restarts.
func NewDPVS(run Runner, dpdkPort, kni string) Backend {
	return &ipvsadm{binary: "ipvsadm", run: run, d: dialect{
		name:      "dpvs",
		laddrArgs: func(lip string) []string { return []string{"-z", lip, "-F", dpdkPort} },
		addrList: func(ctx context.Context, r Runner) (map[string]bool, error) {
			out, err := r.Run(ctx, "", "ip", "-4", "-o", "addr", "show", "dev", kni)
			if err != nil {
				return nil, err
			}
			kernel := parseIPAddr(out)
			// An address counts as present only when DPVS has it too.
			dout, err := r.Run(ctx, "", "dpip", "addr", "show", "dev", dpdkPort)
			if err != nil {
				return nil, err
			}
			dp := parseDpipAddr(dout)
			m := map[string]bool{}
			for a := range kernel {
				if dp[hostOf(a)] {
					m[a] = true
				}
			}
			return m, nil
		},
		addrAdd: func(ctx context.Context, r Runner, addr string, lip bool) error {
			args := []string{"addr", "add", hostOf(addr) + "/32", "dev", dpdkPort}
			if lip {
				args = append(args, "sapool")
			}
			if _, err := r.Run(ctx, "", "dpip", args...); err != nil && !strings.Contains(err.Error(), "exist") {
				return err
			}
			_, err := r.Run(ctx, "", "ip", "addr", "replace", addr, "dev", kni)
			return err
		},
		addrDel: func(ctx context.Context, r Runner, addr string, lip bool) error {
			if _, err := r.Run(ctx, "", "ip", "addr", "del", addr, "dev", kni); err != nil {
				return err
			}
			_, err := r.Run(ctx, "", "dpip", "addr", "del", hostOf(addr)+"/32", "dev", dpdkPort)
			return err
		},
	}}
}

// NewAlibaba drives Alibaba's FULLNAT LVS: its ipvsadm (LIPs per virtual
// service with `-z LIP`), and the kernel addresses on the announce interface
// (lo by default), where both BIRD and the FULLNAT kernel see them.
func NewAlibaba(run Runner, iface string) Backend {
	return &ipvsadm{binary: "ipvsadm", run: run, d: dialect{
		name:      "alibaba",
		laddrArgs: func(lip string) []string { return []string{"-z", lip} },
		addrList: func(ctx context.Context, r Runner) (map[string]bool, error) {
			out, err := r.Run(ctx, "", "ip", "-4", "-o", "addr", "show", "dev", iface)
			if err != nil {
				return nil, err
			}
			return parseIPAddr(out), nil
		},
		addrAdd: func(ctx context.Context, r Runner, addr string, _ bool) error {
			_, err := r.Run(ctx, "", "ip", "addr", "replace", addr, "dev", iface)
			return err
		},
		addrDel: func(ctx context.Context, r Runner, addr string, _ bool) error {
			_, err := r.Run(ctx, "", "ip", "addr", "del", addr, "dev", iface)
			return err
		},
	}}
}

func hostOf(addr string) string {
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		return addr[:i]
	}
	return addr
}

// parseDpipAddr reads `dpip addr show`: lines "inet A/L scope ... " → the set of A.
func parseDpipAddr(out string) map[string]bool {
	m := map[string]bool{}
	for a := range parseIPAddr(out) {
		m[hostOf(a)] = true
	}
	return m
}
