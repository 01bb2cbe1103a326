// Package model holds the plain data the agent reasons about: virtual
// servers, real servers, the agent's configuration (rendered per director by
// components/fullnat-lvs), and the problems a Service can have.
package model

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Protocol of a virtual service.
type Protocol string

const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// VSKey names one virtual service: VIP:port/protocol.
type VSKey struct {
	VIP      string
	Port     int32
	Protocol Protocol
}

func (k VSKey) String() string {
	return fmt.Sprintf("%s:%d/%s", k.VIP, k.Port, k.Protocol)
}

// RSKey names one real server of a virtual service: pod IP and port.
type RSKey struct {
	IP   string
	Port int32
}

func (k RSKey) String() string { return k.IP + ":" + strconv.Itoa(int(k.Port)) }

// RealServer is one backend with the weight the director gives it. Weight 0
// keeps established connections but sends no new ones (graceful drain, seed
// part 5).
type RealServer struct {
	RSKey
	Weight int32
}

// HealthCheck says how a virtual service's real servers are checked.
type HealthCheck struct {
	// Kind is "tcp" (connect) or "http" (GET Path, expect 200).
	Kind string
	Port int32
	Path string
}

// VirtualServer is one FULLNAT virtual service and its real servers.
type VirtualServer struct {
	Key       VSKey
	Scheduler string
	// RealServers keyed by address; the order of a map does not matter to a director.
	RealServers map[RSKey]RealServer
	// Check is how the agent probes the real servers (empty Kind: none).
	Check HealthCheck
	// Service is "namespace/name" of the Service it comes from ("" when read from a director).
	Service string
}

// Clone returns a deep copy.
func (v VirtualServer) Clone() VirtualServer {
	c := v
	c.RealServers = make(map[RSKey]RealServer, len(v.RealServers))
	for k, r := range v.RealServers {
		c.RealServers[k] = r
	}
	return c
}

// SortedRealServers returns the real servers ordered by address (stable commands and output).
func (v VirtualServer) SortedRealServers() []RealServer {
	out := make([]RealServer, 0, len(v.RealServers))
	for _, r := range v.RealServers {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return LessRS(out[i].RSKey, out[j].RSKey) })
	return out
}

// LessRS orders real servers by IP (numerically) then port.
func LessRS(a, b RSKey) bool {
	if a.IP != b.IP {
		return LessIP(a.IP, b.IP)
	}
	return a.Port < b.Port
}

// LessIP orders IPv4 text numerically (falls back to text order for junk).
func LessIP(a, b string) bool {
	pa, ea := netip.ParseAddr(a)
	pb, eb := netip.ParseAddr(b)
	if ea != nil || eb != nil {
		return a < b
	}
	return pa.Less(pb)
}

// LessVS orders virtual services by VIP, port, protocol.
func LessVS(a, b VSKey) bool {
	if a.VIP != b.VIP {
		return LessIP(a.VIP, b.VIP)
	}
	if a.Port != b.Port {
		return a.Port < b.Port
	}
	return a.Protocol < b.Protocol
}

// State is a director's set of virtual services.
type State map[VSKey]VirtualServer

// Keys returns the state's keys, sorted.
func (s State) Keys() []VSKey {
	out := make([]VSKey, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return LessVS(out[i], out[j]) })
	return out
}

// RealServerCount counts the real servers of every virtual service.
func (s State) RealServerCount() int {
	n := 0
	for _, v := range s {
		n += len(v.RealServers)
	}
	return n
}

// Reason classifies why a Service was refused (the `reason` label of the
// rejected-services metric and the Event reason).
type Reason string

const (
	ReasonVIPNotInPools    Reason = "VIPNotInPools"
	ReasonVIPOfOther       Reason = "VIPOfAnotherBusiness"
	ReasonBadVIP           Reason = "InvalidVIP"
	ReasonPortClash        Reason = "PortClash"
	ReasonUDPWithoutHealth Reason = "UDPWithoutHealthCheckPort"
	ReasonBadAnnotation    Reason = "InvalidAnnotation"
)

// AllReasons lists every reason (so the metric starts at 0 for each).
var AllReasons = []Reason{ReasonVIPNotInPools, ReasonVIPOfOther, ReasonBadVIP, ReasonPortClash, ReasonUDPWithoutHealth, ReasonBadAnnotation}

// Problem is one refused Service.
type Problem struct {
	Namespace, Name string
	VIP             string
	Reason          Reason
	Message         string
}

func (p Problem) String() string {
	return fmt.Sprintf("Service %s/%s: %s (%s)", p.Namespace, p.Name, p.Message, p.Reason)
}

// ParseProtocol accepts TCP/UDP in any case.
func ParseProtocol(s string) (Protocol, bool) {
	switch strings.ToUpper(s) {
	case "TCP":
		return TCP, true
	case "UDP":
		return UDP, true
	}
	return "", false
}
