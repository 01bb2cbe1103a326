// Package testutil builds Services, EndpointSlices and configs for tests
// and the benchmark.
package testutil

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"private-cloud/controllers/lvs-director-agent/internal/model"
)

const (
	Label      = "lvs.private-cloud.io/virtual-server"
	VIPKey     = "lvs.private-cloud.io/vip"
	BizKey     = "lvs.private-cloud.io/business"
	SchedKey   = "lvs.private-cloud.io/scheduler"
	HPortKey   = "lvs.private-cloud.io/health-check-port"
	HPathKey   = "lvs.private-cloud.io/health-check-path"
	PoolPrefix = "10.30.0.0/16"
)

// Config returns a director config with n businesses biz-0..biz-(n-1) on VIPs 10.30.x.y.
func Config(n int) *model.Config {
	c := &model.Config{Version: 2, Datacenter: "test", Director: "dir-1", Implementation: "dpvs",
		VIPInterface: "dpdk0.kni", LIPInterface: "dpdk0", LaddrGroup: "laddr_dir_1",
		LIPBlock: "10.40.0.0/29", LIPs: []string{"10.40.0.1", "10.40.0.2", "10.40.0.3"},
		VIPPools: []string{PoolPrefix}, StaticVIPs: []string{"10.31.0.10"}, DrainSeconds: 30, ResyncSeconds: 30}
	c.Service.Selector = Label + "=true"
	c.Service.Annotations.VIP, c.Service.Annotations.Business = VIPKey, BizKey
	c.Service.Annotations.Scheduler, c.Service.Annotations.HealthCheckPort, c.Service.Annotations.HealthCheckPath = SchedKey, HPortKey, HPathKey
	c.Service.DefaultScheduler = "wrr"
	c.HealthCheck.IntervalSeconds, c.HealthCheck.Failures = 3, 3
	c.Metrics.Port = 9910
	for i := 0; i < n; i++ {
		c.VIPs = append(c.VIPs, model.BusinessVIP{Business: Biz(i), VIP: VIP(i)})
	}
	return c
}

func Biz(i int) string { return fmt.Sprintf("biz-%d", i) }
func VIP(i int) string { return fmt.Sprintf("10.30.%d.%d", 1+i/250, 1+i%250) }

// Port is a Service port.
type Port struct {
	Name     string
	Port     int32
	Protocol corev1.Protocol
}

// Service builds a labelled Service claiming vip for business.
func Service(ns, name, vip, business string, ann map[string]string, ports ...Port) *corev1.Service {
	a := map[string]string{VIPKey: vip, BizKey: business}
	for k, v := range ann {
		a[k] = v
	}
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{Label: "true"}, Annotations: a},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": name}}}
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Port, Protocol: proto})
	}
	return s
}

// EP is one endpoint: address and conditions.
type EP struct {
	IP          string
	Ready       bool
	Terminating bool
}

// Slice builds an EndpointSlice of a Service for one port (named portName, target port targetPort).
func Slice(ns, svc, name, portName string, proto corev1.Protocol, targetPort int32, eps ...EP) *discoveryv1.EndpointSlice {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	pn, pp, tp := portName, proto, targetPort
	sl := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{Label: "true", discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &pn, Protocol: &pp, Port: &tp}},
	}
	for _, e := range eps {
		r, t := e.Ready, e.Terminating
		sv := r || t
		sl.Endpoints = append(sl.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.IP}, Conditions: discoveryv1.EndpointConditions{Ready: &r, Serving: &sv, Terminating: &t}})
	}
	return sl
}

// Ready returns n ready endpoints 10.100.<base>.<1..n>.
func Ready(base, n int) []EP {
	out := make([]EP, n)
	for i := range out {
		out[i] = EP{IP: fmt.Sprintf("10.%d.%d.%d", 100+base/250, base%250, i+1), Ready: true}
	}
	return out
}
