package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Config is the agent's configuration file, rendered for one director by
// components/fullnat-lvs/sync.ts (directorAgentConfig); that function is the
// reference for every field.
type Config struct {
	Version        int    `json:"version"`
	Datacenter     string `json:"datacenter"`
	Director       string `json:"director"`
	Implementation string `json:"implementation"`
	// VIPInterface is where the VIPs and the LIP block sit for BIRD's direct protocol.
	VIPInterface string `json:"vipInterface"`
	// LIPInterface is DPVS's DPDK port (dpip's `dev`).
	LIPInterface string `json:"lipInterface"`
	LaddrGroup   string `json:"laddrGroup"`
	// LIPBlock is this director's CIDR-aligned local-address block; LIPs its usable addresses.
	LIPBlock string   `json:"lipBlock"`
	LIPs     []string `json:"lips"`
	// VIPPools are lvs.vipPools: a Service may only claim an address inside them.
	VIPPools []string `json:"vipPools"`
	// VIPs maps each business to its VIP; a Service claims only its own business's VIP.
	VIPs []BusinessVIP `json:"vips"`
	// StaticVIPs are announced too but not managed as Services (the API server VIP: keepalived's).
	StaticVIPs []string `json:"staticVips"`
	Service    struct {
		Selector    string `json:"selector"`
		Annotations struct {
			VIP             string `json:"vip"`
			Business        string `json:"business"`
			Scheduler       string `json:"scheduler"`
			HealthCheckPort string `json:"healthCheckPort"`
			HealthCheckPath string `json:"healthCheckPath"`
		} `json:"annotations"`
		DefaultScheduler string `json:"defaultScheduler"`
	} `json:"service"`
	HealthCheck struct {
		IntervalSeconds int `json:"intervalSeconds"`
		Failures        int `json:"failures"`
	} `json:"healthCheck"`
	// DrainSeconds: how long a terminating or not-ready endpoint stays at weight 0 before removal.
	DrainSeconds int `json:"drainSeconds"`
	// ResyncSeconds: how often the director's actual state is re-read and drift repaired.
	ResyncSeconds int `json:"resyncSeconds"`
	Metrics       struct {
		Port int `json:"port"`
	} `json:"metrics"`
}

// BusinessVIP is one business's VIP.
type BusinessVIP struct {
	Business string `json:"business"`
	VIP      string `json:"vip"`
}

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(b, path)
}

// ParseConfig parses and validates; every problem is named with its field.
func ParseConfig(b []byte, source string) (*Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w (expected the JSON that FullnatLVS renders)", source, err)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.Service.DefaultScheduler == "" {
		c.Service.DefaultScheduler = "wrr"
	}
	if c.HealthCheck.IntervalSeconds == 0 {
		c.HealthCheck.IntervalSeconds = 3
	}
	if c.HealthCheck.Failures == 0 {
		c.HealthCheck.Failures = 3
	}
	if c.ResyncSeconds == 0 {
		c.ResyncSeconds = 30
	}
	if c.Metrics.Port == 0 {
		c.Metrics.Port = 9910
	}
}

// Validate collects every problem and returns them together.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, value any, expected string) {
		errs = append(errs, fmt.Errorf("%s: %v (expected %s)", field, value, expected))
	}
	if c.Version != 2 {
		bad("version", c.Version, "2")
	}
	if c.Director == "" {
		bad("director", `""`, "this director's hostname")
	}
	if c.Implementation != "dpvs" && c.Implementation != "alibaba" {
		bad("implementation", c.Implementation, `"dpvs" or "alibaba"`)
	}
	if c.VIPInterface == "" {
		bad("vipInterface", `""`, "an interface name")
	}
	if p, err := netip.ParsePrefix(c.LIPBlock); err != nil || p != p.Masked() || !p.Addr().Is4() {
		bad("lipBlock", c.LIPBlock, "a CIDR-aligned IPv4 block such as 10.0.0.16/28")
	} else {
		for i, l := range c.LIPs {
			a, err := netip.ParseAddr(l)
			if err != nil || !p.Contains(a) {
				bad(fmt.Sprintf("lips[%d]", i), l, "an address inside lipBlock "+c.LIPBlock)
			}
		}
	}
	for i, p := range c.VIPPools {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad(fmt.Sprintf("vipPools[%d]", i), p, "an IPv4 CIDR")
		}
	}
	for i, v := range c.VIPs {
		if _, err := netip.ParseAddr(v.VIP); err != nil {
			bad(fmt.Sprintf("vips[%d].vip", i), v.VIP, "an IPv4 address")
		}
	}
	if c.Service.Annotations.VIP == "" || c.Service.Annotations.Business == "" {
		bad("service.annotations", c.Service.Annotations, "the vip and business annotation keys")
	}
	if c.DrainSeconds < 0 {
		bad("drainSeconds", c.DrainSeconds, "0 or more")
	}
	return errors.Join(errs...)
}

// InPools reports whether ip is inside one of the VIP pools.
func (c *Config) InPools(ip netip.Addr) bool {
	for _, p := range c.VIPPools {
		if pp, err := netip.ParsePrefix(p); err == nil && pp.Contains(ip) {
			return true
		}
	}
	return false
}

// OwnerOf returns the business whose VIP ip is ("" if none).
func (c *Config) OwnerOf(ip string) string {
	for _, v := range c.VIPs {
		if v.VIP == ip {
			return v.Business
		}
	}
	return ""
}

// ManagedVIPs is the set of business VIPs: the agent owns every virtual
// service on them and never touches others (the API VIP's is keepalived's).
func (c *Config) ManagedVIPs() map[string]bool {
	m := make(map[string]bool, len(c.VIPs))
	for _, v := range c.VIPs {
		m[v.VIP] = true
	}
	return m
}
