package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"svbatch/client"
	"svbatch/reconcile"
)

// maxBalancesBody caps a fetched balances file.
const maxBalancesBody = 1 << 30

// fetchBalances GETs a balances CSV (UTF-8, optional BOM) from u, e.g. the sandbox's
// /sandbox/balances.csv, and returns its balances and the SHA-256 of the body. A non-200 answer is
// an error naming the status; no error shows the URL's credentials or query.
func fetchBalances(ctx context.Context, hc *http.Client, u string) ([]reconcile.Balance, string, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	name := reconcile.DisplayURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("actual balances %s: %w", name, client.StripURL(err))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("actual balances %s: %w", name, client.StripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("actual balances %s: HTTP %s", name, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBalancesBody+1))
	if err != nil {
		return nil, "", fmt.Errorf("actual balances %s: %w", name, err)
	}
	if len(body) > maxBalancesBody {
		return nil, "", fmt.Errorf("actual balances %s: more than %d bytes", name, maxBalancesBody)
	}
	return reconcile.ReadBalancesBody(name, body)
}
