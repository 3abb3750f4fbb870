package main

import (
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"svbatch/client"
)

// connFlags are the gateway connection settings shared by call and run.
type connFlags struct {
	gateway    string
	appKey     string
	secretFile string
	signMethod string
	session    string
	simplify   bool
	timeout    time.Duration
}

func (c *connFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.gateway, "gateway", "", "gateway URL, e.g. "+client.ProductionGateway+" or a sandbox's http://127.0.0.1:8795/router/rest (env SVBATCH_GATEWAY)")
	fs.StringVar(&c.appKey, "app-key", "", "TOP app key (env SVBATCH_APP_KEY)")
	fs.StringVar(&c.secretFile, "app-secret-file", "", "file holding the app secret (else env SVBATCH_APP_SECRET; never a flag value)")
	fs.StringVar(&c.signMethod, "sign-method", client.DefaultSignMethod, "md5, hmac or hmac-sha256")
	fs.StringVar(&c.session, "session", "", "session key, if the app needs authorization (env SVBATCH_SESSION)")
	fs.BoolVar(&c.simplify, "simplify", false, "ask the gateway for simplified (unwrapped) responses")
	fs.DurationVar(&c.timeout, "timeout", client.DefaultTimeout, "timeout of one HTTP exchange")
}

// resolve fills unset values from the environment and checks them (usage errors, exit 2).
func (c *connFlags) resolve(getenv env) (secret string, err error) {
	if c.gateway == "" {
		c.gateway = getenv("SVBATCH_GATEWAY")
	}
	if c.appKey == "" {
		c.appKey = getenv("SVBATCH_APP_KEY")
	}
	if c.session == "" {
		c.session = getenv("SVBATCH_SESSION")
	}
	switch {
	case c.gateway == "":
		return "", usageErr("--gateway is required (or set SVBATCH_GATEWAY)")
	case c.appKey == "":
		return "", usageErr("--app-key is required (or set SVBATCH_APP_KEY)")
	case !client.ValidSignMethod(c.signMethod):
		return "", usageErr("--sign-method %q: want md5, hmac or hmac-sha256", c.signMethod)
	case c.timeout <= 0:
		return "", usageErr("--timeout must be positive")
	}
	return readSecret(c.secretFile, getenv)
}

// readSecret reads the app secret from a file (first line, trimmed) or SVBATCH_APP_SECRET; it is
// required.
func readSecret(file string, getenv env) (string, error) {
	s, err := optionalSecret(file, getenv)
	if err == nil && s == "" {
		err = usageErr("no app secret: set SVBATCH_APP_SECRET or --app-secret-file")
	}
	return s, err
}

// optionalSecret is the secret from --app-secret-file (its first line, trimmed; an empty file is an
// error), else SVBATCH_APP_SECRET, else "".
func optionalSecret(file string, getenv env) (string, error) {
	if file == "" {
		return getenv("SVBATCH_APP_SECRET"), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", usageErr("--app-secret-file: %v", err)
	}
	s := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	if s == "" {
		return "", usageErr("--app-secret-file %s is empty", file)
	}
	return s, nil
}

// newClient builds a client from resolved flags.
func (c *connFlags) newClient(secret string) (*client.Client, error) {
	cl, err := client.New(client.WithGateway(c.gateway), client.WithAppKey(c.appKey), client.WithSecret(secret),
		client.WithSignMethod(c.signMethod), client.WithSession(c.session), client.WithSimplify(c.simplify),
		client.WithTimeout(c.timeout), client.WithPartnerID("svbatch"))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return cl, nil
}
