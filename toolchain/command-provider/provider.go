package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	localType  = "command:local:Command"
	remoteType = "command:remote:Command"
)

// Input property names per resource type (as the Node SDK sends them).
var inputKeys = map[string][]string{
	localType:  {"archivePaths", "assetPaths", "create", "delete", "dir", "environment", "interpreter", "stdin", "triggers", "update"},
	remoteType: {"connection", "create", "delete", "environment", "stdin", "triggers", "update"},
}

// Inputs whose change replaces the resource. Everything else updates.
var replaceKeys = map[string]bool{"triggers": true}

// Inputs whose change alone runs nothing on update (the new value is only
// recorded): `delete` is used at delete time.
var recordOnlyKeys = map[string]bool{"delete": true}

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer

	host *provider.HostClient

	// Cancel() ends every command still running.
	ctx    context.Context
	cancel context.CancelFunc
}

func newCommandProvider(host *provider.HostClient) *commandProvider {
	ctx, cancel := context.WithCancel(context.Background())
	return &commandProvider{host: host, ctx: ctx, cancel: cancel}
}

// ---------------------------------------------------------------------------
// Plumbing: properties in and out.

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, SkipNulls: true,
	})
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, SkipNulls: true,
	})
}

// plain strips secret markers (the value inside is what a command needs).
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func getString(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	v = plain(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func getStringMap(m resource.PropertyMap, key string) map[string]string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v = plain(v)
	if !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		e = plain(e)
		if e.IsString() {
			out[string(k)] = e.StringValue()
		}
	}
	return out
}

func getStringList(m resource.PropertyMap, key string) []string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v = plain(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		e = plain(e)
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// inputsOf keeps only the input properties of a state map.
func inputsOf(typ string, m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, k := range inputKeys[typ] {
		if v, ok := m[resource.PropertyKey(k)]; ok && !v.IsNull() {
			out[resource.PropertyKey(k)] = v
		}
	}
	return out
}

// outputs: the inputs plus stdout/stderr. The connection (it carries the
// private key or password) is always kept as a secret, as upstream does.
func outputs(typ string, inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := inputsOf(typ, inputs)
	if c, ok := out["connection"]; ok && !c.IsSecret() && !c.IsComputed() {
		out["connection"] = resource.MakeSecret(c)
	}
	out["stdout"] = stdout
	out["stderr"] = stderr
	return out
}

func unknown() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func typeOf(urn string) string { return string(resource.URN(urn).Type()) }

func nameOf(urn string) string { return resource.URN(urn).Name() }

func checkType(typ string) error {
	if _, ok := inputKeys[typ]; !ok {
		return fmt.Errorf("unknown resource type %q (this provider has %s and %s)", typ, localType, remoteType)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Provider-level RPCs.

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *commandProvider) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	if req.GetSubpackageName() != "" {
		return nil, fmt.Errorf("command has no subpackage %q", req.GetSubpackageName())
	}
	s, err := schemaJSON()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: s}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

// ---------------------------------------------------------------------------
// Resource RPCs.

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := checkType(typ); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "check.news")
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	fail := func(prop, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: prop, Reason: reason})
	}
	for k := range news {
		known := false
		for _, ik := range inputKeys[typ] {
			if string(k) == ik {
				known = true
			}
		}
		if !known && !strings.HasPrefix(string(k), "__") {
			fail(string(k), fmt.Sprintf("%s has no input property %q", typ, k))
		}
	}
	for _, k := range []string{"assetPaths", "archivePaths"} {
		if v, ok := news[resource.PropertyKey(k)]; ok && !v.IsNull() {
			fail(k, k+" is not implemented by this build of pulumi-resource-command (private-cloud)")
		}
	}
	if v, ok := news["interpreter"]; ok && !v.IsComputed() && !plain(v).IsComputed() {
		if l := getStringList(news, "interpreter"); len(l) == 0 && !plain(v).IsNull() {
			fail("interpreter", "interpreter must be a non-empty list of strings, e.g. [\"/bin/sh\", \"-c\"]")
		}
	}
	if typ == remoteType {
		c, ok := news["connection"]
		switch {
		case !ok || c.IsNull():
			fail("connection", "connection is required")
		case c.ContainsUnknowns():
		case !plain(c).IsObject():
			fail("connection", "connection must be an object")
		default:
			obj := plain(c).ObjectValue()
			if h := plain(obj["host"]); !h.IsString() || h.StringValue() == "" {
				fail("connection.host", "connection.host is required")
			}
			// The SDK's connectionArgsProvideDefaults does this too; keep
			// the state the same for callers that do not.
			if _, ok := obj["port"]; !ok {
				obj["port"] = resource.NewNumberProperty(22)
			}
			if _, ok := obj["user"]; !ok {
				obj["user"] = resource.NewStringProperty("root")
			}
		}
	}
	out, err := marshal(news, "check.inputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: failures}, nil
}

// changedKeys compares the inputs recorded in olds with news.
func changedKeys(typ string, olds, news resource.PropertyMap) []string {
	var changed []string
	for _, k := range inputKeys[typ] {
		o, oOK := olds[resource.PropertyKey(k)]
		n, nOK := news[resource.PropertyKey(k)]
		if oOK && o.IsNull() {
			oOK = false
		}
		if nOK && n.IsNull() {
			nOK = false
		}
		switch {
		case !oOK && !nOK:
			continue
		case oOK != nOK:
			changed = append(changed, k)
		case n.ContainsUnknowns():
			changed = append(changed, k)
		case !plainDeep(o).DeepEquals(plainDeep(n)):
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

// plainDeep strips secret markers at every level (secretness is not a change).
func plainDeep(v resource.PropertyValue) resource.PropertyValue {
	v = plain(v)
	switch {
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = plainDeep(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = plainDeep(e)
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := checkType(typ); err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds(), "diff.olds")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "diff.news")
	if err != nil {
		return nil, err
	}
	for _, k := range req.GetIgnoreChanges() {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			news[resource.PropertyKey(k)] = v
		} else {
			delete(news, resource.PropertyKey(k))
		}
	}
	changed := changedKeys(typ, olds, news)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}, nil
	}
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:           changed,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for _, k := range changed {
		kind := pulumirpc.PropertyDiff_UPDATE
		if replaceKeys[k] {
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
			resp.Replaces = append(resp.Replaces, k)
		}
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return resp, nil
}

// opContext is the provider's cancellable context, bounded by a custom timeout.
func (p *commandProvider) opContext(timeoutSecs float64) (context.Context, context.CancelFunc) {
	if timeoutSecs > 0 {
		return context.WithTimeout(p.ctx, time.Duration(timeoutSecs*float64(time.Second)))
	}
	return context.WithCancel(p.ctx)
}

func (p *commandProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := checkType(typ); err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetProperties(), "create.properties")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out, err := marshal(outputs(typ, props, unknown(), unknown()), "create.preview")
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: out}, nil
	}
	stdout, stderr := "", ""
	if cmd := getString(props, "create"); cmd != "" {
		ctx, cancel := p.opContext(req.GetTimeout())
		defer cancel()
		stdout, stderr, err = p.run(ctx, req.GetUrn(), typ, props, cmd, nil)
		if err != nil {
			return nil, err
		}
	}
	id, err := resource.NewUniqueHex(nameOf(req.GetUrn())+"-", 8, 0)
	if err != nil {
		return nil, err
	}
	out, err := marshal(outputs(typ, props, resource.NewStringProperty(stdout), resource.NewStringProperty(stderr)), "create.outputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// Nothing to look at outside the state: refresh keeps it as it is.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *commandProvider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := checkType(typ); err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds(), "update.olds")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "update.news")
	if err != nil {
		return nil, err
	}
	runs := false
	for _, k := range changedKeys(typ, olds, news) {
		if !recordOnlyKeys[k] {
			runs = true
		}
	}
	stdout, stderr := olds["stdout"], olds["stderr"]
	if stdout.IsNull() {
		stdout = resource.NewStringProperty("")
	}
	if stderr.IsNull() {
		stderr = resource.NewStringProperty("")
	}
	cmd := getString(news, "update")
	if cmd == "" {
		cmd = getString(news, "create")
	}
	if runs && cmd != "" {
		if req.GetPreview() {
			stdout, stderr = unknown(), unknown()
		} else {
			ctx, cancel := p.opContext(req.GetTimeout())
			defer cancel()
			so, se, err := p.run(ctx, req.GetUrn(), typ, news, cmd, previousOutputsEnv(olds))
			if err != nil {
				return nil, err
			}
			stdout, stderr = resource.NewStringProperty(so), resource.NewStringProperty(se)
		}
	}
	out, err := marshal(outputs(typ, news, stdout, stderr), "update.outputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *commandProvider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ := typeOf(req.GetUrn())
	if err := checkType(typ); err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetProperties(), "delete.properties")
	if err != nil {
		return nil, err
	}
	if cmd := getString(props, "delete"); cmd != "" {
		ctx, cancel := p.opContext(req.GetTimeout())
		defer cancel()
		if _, _, err := p.run(ctx, req.GetUrn(), typ, props, cmd, previousOutputsEnv(props)); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// previousOutputsEnv: update and delete commands see the last outputs, as
// upstream provides them.
func previousOutputsEnv(state resource.PropertyMap) map[string]string {
	return map[string]string{
		"PULUMI_COMMAND_STDOUT": getString(state, "stdout"),
		"PULUMI_COMMAND_STDERR": getString(state, "stderr"),
	}
}

// run executes cmd locally or remotely with the resource's settings and
// returns stdout and stderr without their trailing newline.
func (p *commandProvider) run(ctx context.Context, urn, typ string, props resource.PropertyMap,
	cmd string, extraEnv map[string]string,
) (string, string, error) {
	env := getStringMap(props, "environment")
	if env == nil {
		env = map[string]string{}
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	var stdin *string
	if v, ok := props["stdin"]; ok && plain(v).IsString() {
		s := plain(v).StringValue()
		stdin = &s
	}
	logw := &lineLogger{logf: func(line string) {
		if p.host != nil {
			_ = p.host.LogStatus(context.Background(), diag.Info, resource.URN(urn), line)
		}
	}}
	var stdout, stderr string
	var err error
	switch typ {
	case localType:
		stdout, stderr, err = runLocal(ctx, localSpec{
			command:     cmd,
			interpreter: getStringList(props, "interpreter"),
			dir:         getString(props, "dir"),
			env:         env,
			stdin:       stdin,
		}, logw)
	case remoteType:
		var conn connSpec
		conn, err = connectionOf(props)
		if err == nil {
			stdout, stderr, err = runRemote(ctx, conn, remoteSpec{command: cmd, env: env, stdin: stdin}, logw)
		}
	}
	stdout = strings.TrimSuffix(stdout, "\n")
	stderr = strings.TrimSuffix(stderr, "\n")
	if err != nil {
		return stdout, stderr, fmt.Errorf("%s: %w\nrunning %q\nstdout:\n%s\nstderr:\n%s", typ, err, cmd, stdout, stderr)
	}
	return stdout, stderr, nil
}

// lineLogger forwards complete lines of command output to the engine as
// ephemeral status messages.
type lineLogger struct {
	mu   sync.Mutex
	buf  []byte
	logf func(string)
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		l.logf(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(b), nil
}
