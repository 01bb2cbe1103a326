// Package metrics registers the agent's Prometheus series. Names, types,
// labels and help come from metrics.json, the one list that
// components/fullnat-lvs/monitoring.ts reads as well, so an alert can only
// use a series the agent exports.
package metrics

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"private-cloud/controllers/lvs-director-agent/internal/backend"
	"private-cloud/controllers/lvs-director-agent/internal/model"
)

//go:embed metrics.json
var specJSON []byte

// Spec is one metric's definition.
type Spec struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Labels []string `json:"labels"`
	Help   string   `json:"help"`
}

// Specs returns every metric the agent exports, by key.
func Specs() map[string]Spec {
	var f struct {
		Metrics map[string]Spec `json:"metrics"`
	}
	if err := json.Unmarshal(specJSON, &f); err != nil {
		panic(fmt.Sprintf("metrics.json: %v", err))
	}
	return f.Metrics
}

// ReconcileBuckets: the goal is p99 < 2 s, so the buckets are fine below it.
var ReconcileBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30}

// Metrics is the agent's instrumentation.
type Metrics struct {
	Registry         *prometheus.Registry
	ReconcileLatency prometheus.Histogram
	ApplyErrors      *prometheus.CounterVec
	DriftRepairs     *prometheus.CounterVec
	AppliedChanges   *prometheus.CounterVec
	Rejected         *prometheus.GaugeVec

	mu      sync.Mutex
	applied func() model.State
	health  func(model.VSKey, model.RSKey) (up bool, known bool, seconds float64)
	be      backend.Backend
	specs   map[string]Spec
}

func opts(s Spec) (string, string) { return s.Name, s.Help }

// New registers every series of metrics.json on a fresh registry.
func New(be backend.Backend) *Metrics {
	sp := Specs()
	m := &Metrics{Registry: prometheus.NewRegistry(), be: be, specs: sp, applied: func() model.State { return nil }}
	name, help := opts(sp["reconcileLatency"])
	m.ReconcileLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: ReconcileBuckets})
	name, help = opts(sp["applyErrors"])
	m.ApplyErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, sp["applyErrors"].Labels)
	name, help = opts(sp["driftRepairs"])
	m.DriftRepairs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, sp["driftRepairs"].Labels)
	name, help = opts(sp["appliedChanges"])
	m.AppliedChanges = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, sp["appliedChanges"].Labels)
	name, help = opts(sp["rejectedServices"])
	m.Rejected = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, sp["rejectedServices"].Labels)
	for _, r := range model.AllReasons {
		m.Rejected.WithLabelValues(string(r)).Set(0)
	}
	for _, op := range []string{"create", "update", "delete", "address", "list"} {
		m.ApplyErrors.WithLabelValues(op)
	}
	for _, k := range []string{"virtual_server", "address"} {
		m.DriftRepairs.WithLabelValues(k)
	}
	for _, op := range []string{"create", "update", "delete"} {
		m.AppliedChanges.WithLabelValues(op)
	}
	m.Registry.MustRegister(m.ReconcileLatency, m.ApplyErrors, m.DriftRepairs, m.AppliedChanges, m.Rejected, &collector{m})
	return m
}

// SetApplied sets where the collector reads what the director holds (a
// deep copy, taken at scrape time, for the per-real-server series).
func (m *Metrics) SetApplied(f func() model.State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = f
}

// SetHealth sets where health-check results come from.
func (m *Metrics) SetHealth(f func(model.VSKey, model.RSKey) (up bool, known bool, seconds float64)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health = f
}

// collector reads the data plane's counters at scrape time (like
// node_exporter's ipvs collector) and the applied state's real servers.
type collector struct{ m *Metrics }

func (c *collector) desc(key string) *prometheus.Desc {
	s := c.m.specs[key]
	return prometheus.NewDesc(s.Name, s.Help, s.Labels, nil)
}

var scraped = []string{"virtualServers", "realServers", "vsConnections", "vsInPackets", "vsOutPackets", "vsInBytes", "vsOutBytes", "rsActiveConnections", "rsUp", "rsWeight", "rsCheckDuration", "rsCheckUp"}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, k := range scraped {
		ch <- c.desc(k)
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	vsl := func(k model.VSKey) []string { return []string{k.VIP, strconv.Itoa(int(k.Port)), string(k.Protocol)} }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.m.be.Stats(ctx)
	if err != nil {
		c.m.ApplyErrors.WithLabelValues("list").Inc()
	}
	c.m.mu.Lock()
	source, health := c.m.applied, c.m.health
	c.m.mu.Unlock()
	applied := source()
	ch <- prometheus.MustNewConstMetric(c.desc("virtualServers"), prometheus.GaugeValue, float64(len(applied)))
	ch <- prometheus.MustNewConstMetric(c.desc("realServers"), prometheus.GaugeValue, float64(applied.RealServerCount()))
	for _, s := range stats {
		if _, ours := applied[s.Key]; !ours {
			continue
		}
		l := vsl(s.Key)
		ch <- prometheus.MustNewConstMetric(c.desc("vsConnections"), prometheus.CounterValue, float64(s.Stats.Conns), l...)
		ch <- prometheus.MustNewConstMetric(c.desc("vsInPackets"), prometheus.CounterValue, float64(s.Stats.InPackets), l...)
		ch <- prometheus.MustNewConstMetric(c.desc("vsOutPackets"), prometheus.CounterValue, float64(s.Stats.OutPackets), l...)
		ch <- prometheus.MustNewConstMetric(c.desc("vsInBytes"), prometheus.CounterValue, float64(s.Stats.InBytes), l...)
		ch <- prometheus.MustNewConstMetric(c.desc("vsOutBytes"), prometheus.CounterValue, float64(s.Stats.OutBytes), l...)
		for rs, a := range s.Active {
			ch <- prometheus.MustNewConstMetric(c.desc("rsActiveConnections"), prometheus.GaugeValue, float64(a), append(l, rs.String())...)
		}
	}
	for k, vs := range applied {
		for rk, rs := range vs.RealServers {
			l := append(vsl(k), rk.String())
			up := 0.0
			if rs.Weight > 0 {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(c.desc("rsUp"), prometheus.GaugeValue, up, l...)
			ch <- prometheus.MustNewConstMetric(c.desc("rsWeight"), prometheus.GaugeValue, float64(rs.Weight), l...)
			if health != nil {
				if ok, known, secs := health(k, rk); known {
					v := 0.0
					if ok {
						v = 1
					}
					ch <- prometheus.MustNewConstMetric(c.desc("rsCheckUp"), prometheus.GaugeValue, v, l...)
					ch <- prometheus.MustNewConstMetric(c.desc("rsCheckDuration"), prometheus.GaugeValue, secs, l...)
				}
			}
		}
	}
}
