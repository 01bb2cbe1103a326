package main

import "encoding/json"

// schemaJSON is the Pulumi package schema of what this provider serves (the
// subset of pulumi-command 4.5.0 it implements; for `pulumi package` and
// tools, the engine does not need it to run programs).
func schemaJSON() (string, error) {
	str := map[string]any{"type": "string"}
	strMap := map[string]any{"type": "object", "additionalProperties": str}
	strList := map[string]any{"type": "array", "items": str}
	anyList := map[string]any{"type": "array", "items": map[string]any{"$ref": "pulumi.json#/Any"}}
	withDesc := func(t map[string]any, d string) map[string]any {
		o := map[string]any{"description": d}
		for k, v := range t {
			o[k] = v
		}
		return o
	}
	common := map[string]any{
		"create":      withDesc(str, "The command to run on create."),
		"update":      withDesc(str, "The command to run on update; if empty, create runs again."),
		"delete":      withDesc(str, "The command to run on delete."),
		"environment": withDesc(strMap, "Additional environment variables for the command."),
		"stdin":       withDesc(str, "Passed to the command's standard input."),
		"triggers":    withDesc(anyList, "A change to any of these replaces the resource."),
	}
	merge := func(ms ...map[string]any) map[string]any {
		o := map[string]any{}
		for _, m := range ms {
			for k, v := range m {
				o[k] = v
			}
		}
		return o
	}
	outs := map[string]any{
		"stdout": withDesc(str, "The standard output of the last run (trailing newline trimmed)."),
		"stderr": withDesc(str, "The standard error of the last run (trailing newline trimmed)."),
	}
	localIn := merge(common, map[string]any{
		"dir":         withDesc(str, "The working directory of the command."),
		"interpreter": withDesc(strList, "The program and arguments the command is appended to; default [\"/bin/sh\", \"-c\"]."),
	})
	connRef := map[string]any{"$ref": "#/types/command:remote:Connection", "secret": true}
	remoteIn := merge(common, map[string]any{"connection": connRef})
	s := map[string]any{
		"name":        "command",
		"version":     Version,
		"displayName": "Command",
		"description": "Run commands locally or over SSH (private-cloud's own implementation).",
		"license":     "Apache-2.0",
		"meta":        map[string]any{"moduleFormat": "(.*)"},
		"language":    map[string]any{"nodejs": map[string]any{"packageName": "@pulumi/command"}},
		"types": map[string]any{
			"command:remote:Connection": map[string]any{
				"type":        "object",
				"description": "How to reach the host over SSH.",
				"properties": map[string]any{
					"host":       withDesc(str, "The address of the host."),
					"port":       map[string]any{"type": "number", "default": 22, "description": "The SSH port."},
					"user":       map[string]any{"type": "string", "default": "root", "description": "The user to log in as."},
					"password":   map[string]any{"type": "string", "secret": true, "description": "Password authentication."},
					"privateKey": map[string]any{"type": "string", "secret": true, "description": "A private key in PEM (or OpenSSH) form."},
				},
				"required": []string{"host"},
			},
		},
		"resources": map[string]any{
			localType: map[string]any{
				"description":     "A command run on the machine that runs Pulumi.",
				"inputProperties": localIn,
				"properties":      merge(localIn, outs),
				"required":        []string{"stdout", "stderr"},
			},
			remoteType: map[string]any{
				"description":     "A command run on a host over SSH.",
				"inputProperties": remoteIn,
				"requiredInputs":  []string{"connection"},
				"properties":      merge(remoteIn, outs),
				"required":        []string{"connection", "stdout", "stderr"},
			},
		},
	}
	b, err := json.Marshal(s)
	return string(b), err
}
