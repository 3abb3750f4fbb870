package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configEnv names the config file when --config is not given.
const configEnv = "SVBATCH_CONFIG"

// envForFlag: a flag whose environment variable is set takes the environment's value, not the file's.
var envForFlag = map[string]string{"gateway": "SVBATCH_GATEWAY", "app-key": "SVBATCH_APP_KEY", "session": "SVBATCH_SESSION"}

// applyConfig reads a YAML config file (flag name: value, e.g. "gateway: https://…", "qps: 20") and
// sets every flag of cmd that the command line did not set. Precedence: flags, then environment,
// then the file. Keys that are flags of other commands are ignored (one file serves run, call and
// sandbox); a key that is no command's flag is an error (a typo should not pass silently), and so
// is a secret: the file names the secret's file (app-secret-file), never the secret.
func applyConfig(cmd *cobra.Command, path string, getenv env) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return usageErr("config: %v", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		return usageErr("config %s: not a YAML mapping of flag names to values: %s", path, oneLine(err))
	}
	known := map[string]bool{}
	for _, c := range cmd.Root().Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(strings.ToLower(k), "secret") && k != "app-secret-file" {
			return usageErr("config %s: %q: the secret never goes in the config file; name its file with app-secret-file, or set SVBATCH_APP_SECRET", path, k)
		}
		if !known[k] {
			return usageErr("config %s: %q is not a flag of any svbatch command", path, k)
		}
		f := cmd.Flags().Lookup(k)
		if f == nil || f.Changed || k == "config" {
			continue
		}
		if ev, ok := envForFlag[k]; ok && getenv(ev) != "" {
			continue
		}
		if err := f.Value.Set(fmt.Sprint(values[k])); err != nil {
			return usageErr("config %s: %s: %v", path, k, err)
		}
	}
	return nil
}
