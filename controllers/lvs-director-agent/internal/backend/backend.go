// Package backend talks to a director's data plane. Two implementations
// speak the command dialects of the data planes the project targets (DPVS:
// its ipvsadm and dpip; Alibaba FULLNAT LVS: its ipvsadm and iproute2), and
// a recording one holds the state in memory for tests and the benchmark.
package backend

import (
	"context"

	"private-cloud/controllers/lvs-director-agent/internal/desired"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

// Stats of one virtual service or real server, as the data plane counts them.
type Stats struct {
	Conns, InPackets, OutPackets, InBytes, OutBytes uint64
}

// VSStats are a virtual service's counters and its real servers' active connections.
type VSStats struct {
	Key    model.VSKey
	Stats  Stats
	Active map[model.RSKey]uint64
}

// Backend is one director's data plane.
type Backend interface {
	// Name is "dpvs", "alibaba" or "recording".
	Name() string
	// List returns the FULLNAT virtual services the director holds.
	List(ctx context.Context) (model.State, error)
	// Apply performs one virtual service's change as one batch: new real
	// servers are added before old ones go, so a virtual service is never
	// empty on the way.
	Apply(ctx context.Context, c desired.Change, laddrs []string) error
	// Stats reads the counters of every virtual service.
	Stats(ctx context.Context) ([]VSStats, error)
	// Addresses returns the addresses (as "ip/len") on the announce interface
	// (and, for DPVS, on the DPDK port).
	Addresses(ctx context.Context) (map[string]bool, error)
	// AddAddress and DelAddress put an address ("ip/len") on or off the director.
	AddAddress(ctx context.Context, addr string, lip bool) error
	DelAddress(ctx context.Context, addr string, lip bool) error
}
