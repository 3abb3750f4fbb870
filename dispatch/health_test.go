package dispatch_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
)

// outageSender answers the first ok requests, then fails every one as a refused connection.
type outageSender struct {
	ok, n atomic.Int32
}

func (s *outageSender) Do(ctx context.Context, req client.RechargeRequest) (*client.Response, error) {
	if s.n.Add(1) <= s.ok.Load() {
		return &client.Response{Result: client.Result{BizSuccess: true, Result: true, ResultCode: "0"}}, nil
	}
	return nil, &client.TransportError{Sent: false, Err: errors.New("connect: connection refused")}
}

// TestDispatchGatewayOutage: a gateway that stops answering mid-run stops the run after OutageWait
// as interrupted (resumable), with the cause; one that never answered stops after UnreachableAfter
// and is not an interruption (fix --gateway). Rows not sent stay resumable: none is unknown.
func TestDispatchGatewayOutage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		ok          int32
		interrupted bool
	}{
		{"mid-run outage", 3, true},
		{"never answered", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &outageSender{}
			s.ok.Store(tc.ok)
			j := dtJournal(t)
			var rows []batch.Row
			for i := 0; i < 20; i++ {
				rows = append(rows, dtRow(i+2, "B1", "C"+string(rune('a'+i)), svbatch.Charge, "O-"+string(rune('a'+i)), "", 100))
			}
			p := dtFastPolicy()
			p.Sleep = func(ctx context.Context, d time.Duration) error { // real, short sleeps: the window is in wall time
				return client.SleepContext(ctx, time.Millisecond)
			}
			var unknown atomic.Int32
			d := dispatch.New(dispatch.Config{Policy: p, Concurrency: 2, UnreachableAfter: 50 * time.Millisecond, OutageWait: 50 * time.Millisecond,
				OnRow: func(rd dispatch.RowDone) {
					st := rd.Status
					if st == svbatch.Unknown {
						unknown.Add(1)
					}
				}}, s, j)
			err := d.Run(context.Background(), &dtSource{rows: rows})
			var stop *dispatch.StopError
			if !errors.As(err, &stop) || stop.Unreachable() == nil {
				t.Fatalf("Run = %v; want a stop for an unreachable gateway", err)
			}
			if stop.Interrupted() != tc.interrupted || stop.Unreachable().Never != (tc.ok == 0) {
				t.Errorf("interrupted %v, never %v; want %v, %v", stop.Interrupted(), stop.Unreachable().Never, tc.interrupted, tc.ok == 0)
			}
			if unknown.Load() != 0 {
				t.Errorf("%d rows unknown; want none (nothing was sent after the outage began)", unknown.Load())
			}
			counts, err := j.Counts()
			if err != nil {
				t.Fatal(err)
			}
			if counts[svbatch.Succeeded] != int(tc.ok) {
				t.Errorf("journal %v; want %d succeeded", counts, tc.ok)
			}
		})
	}
}
