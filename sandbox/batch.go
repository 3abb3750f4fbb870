package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"svbatch/client"
)

// serveBatch is /router/batch (DESIGN.md §2, as TOP's SDKs speak it): the system params and sign in
// the URL query, the body (text/plain) an optional "#PUBLIC#" part of shared params and then one
// URL-encoded query per sub-request ("N" for an empty one), joined by "\r\n-S-\r\n" or the
// separator named in header top-api-separator. The sign is TOP's over the URL params with the whole
// body appended. The answer is one JSON document per sub-request, in order, joined by the same
// separator; a batch refused as a whole (signature, app key, timestamp, no or too many
// sub-requests) is answered with one error_response. Every sub-request takes a flow-control token
// and may draw the read fault; recharge.operate is refused inside a batch (svbatch never batches
// writes, and the sandbox makes sure of it).
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	trace := s.newTrace()
	if r.Method != http.MethodPost {
		s.writeError(w, trace, &topError{9, "Http Action Not Allowed", "isv.http-action-not-allowed", "use POST"})
		return
	}
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.writeError(w, trace, &topError{43, "Parameter error", "isv.invalid-parameter", "the batch body could not be read or is larger than 1 MiB"})
		return
	}
	body := string(raw)
	if te := s.checkEnvelope(params, body, true); te != nil {
		s.writeError(w, trace, te)
		return
	}
	sep := r.Header.Get(client.BatchSeparatorHeader)
	if sep == "" {
		sep = client.BatchSeparator
	}
	parts := strings.Split(body, sep)
	public := map[string]string{}
	if strings.HasPrefix(parts[0], client.BatchPublicPrefix) {
		v, err := url.ParseQuery(strings.TrimPrefix(parts[0], client.BatchPublicPrefix))
		if err != nil {
			s.writeError(w, trace, errInvalid("#PUBLIC#", "the #PUBLIC# part is not a URL-encoded query"))
			return
		}
		for k, x := range v {
			if len(x) > 0 {
				public[k] = x[0]
			}
		}
		parts = parts[1:]
	}
	switch {
	case len(parts) == 0 || strings.TrimSpace(body) == "":
		s.writeError(w, trace, errMissing("body", "the batch has no sub-requests"))
		return
	case len(parts) > s.cfg.MaxBatch:
		s.writeError(w, trace, errInvalid("body", fmt.Sprintf("the batch has %d sub-requests, at most %d are allowed", len(parts), s.cfg.MaxBatch)))
		return
	}
	simplify := params["simplify"] == "true" || public["simplify"] == "true"
	if !sleepCtx(r.Context(), s.readLatency()) {
		return
	}
	var out bytes.Buffer
	for i, part := range parts {
		if i > 0 {
			out.WriteString(sep)
		}
		b, err := encodeJSON(s.batchSub(public, part, simplify))
		if err != nil {
			http.Error(w, "encode response", http.StatusInternalServerError)
			return
		}
		out.Write(bytes.TrimSuffix(b, []byte("\n")))
	}
	if h := r.Header.Get(client.BatchSeparatorHeader); h != "" {
		w.Header().Set(client.BatchSeparatorHeader, h)
	}
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	w.Write(out.Bytes())
}

// batchSub answers one sub-request of a batch: its own params over the shared ones.
func (s *Server) batchSub(public map[string]string, part string, simplify bool) any {
	trace := s.newTrace()
	p := make(map[string]string, len(public)+2)
	for k, v := range public {
		p[k] = v
	}
	if part = strings.TrimSpace(part); part != client.BatchEmptyPart && part != "" {
		v, err := url.ParseQuery(part)
		if err != nil {
			return errorEnvelope(trace, &topError{43, "Parameter error", "isv.invalid-parameter", "the sub-request is not a URL-encoded query"})
		}
		for k, x := range v {
			if len(x) > 0 {
				p[k] = x[0]
			}
		}
	}
	method := p["method"]
	if method == "" {
		return errorEnvelope(trace, &topError{21, "Missing method", "isv.missing-parameter:method", "method is required"})
	}
	if te := s.limit(s.cfg.Now()); te != nil {
		return errorEnvelope(trace, te)
	}
	if method == client.MethodRechargeOperate {
		return errorEnvelope(trace, &topError{22, "Invalid method", batchWriteSubCode,
			"the sandbox answers reads only in /router/batch: send " + method + " alone to " + Path})
	}
	if _, ok := readMethods[method]; !ok {
		return errorEnvelope(trace, &topError{22, "Invalid method", "isv.invalid-method", "method " + method + " does not exist in the sandbox"})
	}
	return s.readAnswer(method, p, trace, simplify)
}
