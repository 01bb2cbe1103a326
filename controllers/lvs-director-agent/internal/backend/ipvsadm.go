package backend

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// dialect is what differs between DPVS's and Alibaba's ipvsadm and their
// address tools. Both ipvsadm forks keep upstream ipvsadm's options and add
// FULLNAT (-b) and local addresses (-P/--add-laddr with -z).
type dialect struct {
	name string
	// laddrArgs returns the arguments after "-P <svc>" for one LIP.
	laddrArgs func(lip string) []string
	addrList  func(ctx context.Context, r Runner) (map[string]bool, error)
	addrAdd   func(ctx context.Context, r Runner, addr string, lip bool) error
	addrDel   func(ctx context.Context, r Runner, addr string, lip bool) error
}

// ipvsadm is a Backend driving an ipvsadm-compatible tool.
type ipvsadm struct {
	d      dialect
	run    Runner
	binary string
}

func (b *ipvsadm) Name() string { return b.d.name }

func svcFlag(k model.VSKey) []string {
	f := "-t"
	if k.Protocol == model.UDP {
		f = "-u"
	}
	return []string{f, net(k.VIP, k.Port)}
}

func net(ip string, port int32) string { return ip + ":" + strconv.Itoa(int(port)) }

// Batch returns the ipvsadm restore-format lines (`ipvsadm -R` reads them
// from stdin, one process per virtual service) for a change.
func (b *ipvsadm) Batch(c desired.Change, laddrs []string) []string {
	svc := svcFlag(c.Key)
	line := func(parts ...[]string) string {
		var all []string
		for _, p := range parts {
			all = append(all, p...)
		}
		return strings.Join(all, " ")
	}
	var out []string
	switch c.Op {
	case desired.OpDelete:
		return []string{line([]string{"-D"}, svc)}
	case desired.OpCreate:
		out = append(out, line([]string{"-A"}, svc, []string{"-s", c.Scheduler}))
		for _, l := range laddrs {
			out = append(out, line([]string{"-P"}, svc, b.d.laddrArgs(l)))
		}
	case desired.OpUpdate:
		if c.Scheduler != "" {
			out = append(out, line([]string{"-E"}, svc, []string{"-s", c.Scheduler}))
		}
	}
	// -b: FULLNAT forwarding (both forks).
	for _, r := range c.Add {
		out = append(out, line([]string{"-a"}, svc, []string{"-r", net(r.IP, r.Port), "-b", "-w", strconv.Itoa(int(r.Weight))}))
	}
	for _, r := range c.Edit {
		out = append(out, line([]string{"-e"}, svc, []string{"-r", net(r.IP, r.Port), "-b", "-w", strconv.Itoa(int(r.Weight))}))
	}
	for _, r := range c.Remove {
		out = append(out, line([]string{"-d"}, svc, []string{"-r", net(r.IP, r.Port)}))
	}
	return out
}

func (b *ipvsadm) Apply(ctx context.Context, c desired.Change, laddrs []string) error {
	lines := b.Batch(c, laddrs)
	if len(lines) == 0 {
		return nil
	}
	_, err := b.run.Run(ctx, strings.Join(lines, "\n")+"\n", b.binary, "-R")
	return err
}

func (b *ipvsadm) List(ctx context.Context) (model.State, error) {
	out, err := b.run.Run(ctx, "", b.binary, "-L", "-n")
	if err != nil {
		return nil, err
	}
	st, _, err := ParseList(out)
	return st, err
}

func (b *ipvsadm) Stats(ctx context.Context) ([]VSStats, error) {
	out, err := b.run.Run(ctx, "", b.binary, "-L", "-n", "--stats", "--exact")
	if err != nil {
		return nil, err
	}
	stats, err := ParseStats(out)
	if err != nil {
		return nil, err
	}
	list, err := b.run.Run(ctx, "", b.binary, "-L", "-n")
	if err != nil {
		return nil, err
	}
	_, active, err := ParseList(list)
	if err != nil {
		return nil, err
	}
	for i := range stats {
		stats[i].Active = active[stats[i].Key]
	}
	return stats, nil
}

func (b *ipvsadm) Addresses(ctx context.Context) (map[string]bool, error) {
	return b.d.addrList(ctx, b.run)
}
func (b *ipvsadm) AddAddress(ctx context.Context, addr string, lip bool) error {
	return b.d.addrAdd(ctx, b.run, addr, lip)
}
func (b *ipvsadm) DelAddress(ctx context.Context, addr string, lip bool) error {
	return b.d.addrDel(ctx, b.run, addr, lip)
}

func parseVSLine(f []string) (model.VSKey, bool) {
	if len(f) < 2 {
		return model.VSKey{}, false
	}
	proto, ok := model.ParseProtocol(f[0])
	if !ok {
		return model.VSKey{}, false
	}
	ap, err := netip.ParseAddrPort(f[1])
	if err != nil {
		return model.VSKey{}, false
	}
	return model.VSKey{VIP: ap.Addr().String(), Port: int32(ap.Port()), Protocol: proto}, true
}

func parseRS(s string) (model.RSKey, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return model.RSKey{}, false
	}
	return model.RSKey{IP: ap.Addr().String(), Port: int32(ap.Port())}, true
}

// ParseList reads `ipvsadm -L -n`: the FULLNAT virtual services with their
// real servers and weights, and each real server's active connections.
// Virtual services without a FULLNAT real server are still listed (an empty
// one is ours too until deleted).
func ParseList(out string) (model.State, map[model.VSKey]map[model.RSKey]uint64, error) {
	st := model.State{}
	active := map[model.VSKey]map[model.RSKey]uint64{}
	var cur *model.VirtualServer
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(line, "IP Virtual Server") || strings.HasPrefix(line, "Prot ") || strings.HasPrefix(strings.TrimSpace(line), "-> RemoteAddress") {
			continue
		}
		if f[0] == "->" {
			if cur == nil {
				return nil, nil, fmt.Errorf("ipvsadm -L line %d: real server before any virtual service: %q", n, line)
			}
			if len(f) < 6 {
				return nil, nil, fmt.Errorf("ipvsadm -L line %d: %q (expected '-> addr:port forward weight active inactive')", n, line)
			}
			rs, ok := parseRS(f[1])
			if !ok {
				return nil, nil, fmt.Errorf("ipvsadm -L line %d: bad real server %q", n, f[1])
			}
			w, err1 := strconv.ParseInt(f[3], 10, 32)
			a, err2 := strconv.ParseUint(f[4], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, nil, fmt.Errorf("ipvsadm -L line %d: bad weight or connections in %q", n, line)
			}
			cur.RealServers[rs] = model.RealServer{RSKey: rs, Weight: int32(w)}
			active[cur.Key][rs] = a
			continue
		}
		k, ok := parseVSLine(f)
		if !ok {
			return nil, nil, fmt.Errorf("ipvsadm -L line %d: %q (expected 'TCP|UDP addr:port scheduler')", n, line)
		}
		sched := ""
		if len(f) > 2 {
			sched = f[2]
		}
		vs := model.VirtualServer{Key: k, Scheduler: sched, RealServers: map[model.RSKey]model.RealServer{}}
		st[k] = vs
		active[k] = map[model.RSKey]uint64{}
		cur = &vs
	}
	return st, active, sc.Err()
}

// ParseStats reads `ipvsadm -L -n --stats --exact`: per virtual service
// Conns InPkts OutPkts InBytes OutBytes (real-server lines are skipped).
func ParseStats(out string) ([]VSStats, error) {
	var res []VSStats
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "->" || strings.HasPrefix(line, "IP Virtual Server") || strings.HasPrefix(line, "Prot ") {
			continue
		}
		k, ok := parseVSLine(f)
		if !ok || len(f) < 7 {
			return nil, fmt.Errorf("ipvsadm --stats line %d: %q (expected 'TCP|UDP addr:port conns inpkts outpkts inbytes outbytes')", n, line)
		}
		var v [5]uint64
		for i := range v {
			x, err := strconv.ParseUint(f[2+i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("ipvsadm --stats line %d: %q is not a count (run with --exact)", n, f[2+i])
			}
			v[i] = x
		}
		res = append(res, VSStats{Key: k, Stats: Stats{Conns: v[0], InPackets: v[1], OutPackets: v[2], InBytes: v[3], OutBytes: v[4]}})
	}
	return res, sc.Err()
}

// parseIPAddr reads `ip -4 -o addr show dev X`: "N: X    inet A/L ..." per line.
func parseIPAddr(out string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" {
				m[f[i+1]] = true
			}
		}
	}
	return m
}
