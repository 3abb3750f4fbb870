package journal_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"svbatch"
	"svbatch/journal"
)

// A row's life in the journal: durable "sending" before the request goes out, the outcome after.
func Example() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	j, err := journal.Open(filepath.Join(dir, "in.svbatch.db"))
	if err != nil {
		log.Fatal(err) // errors.Is(err, journal.ErrLocked): another svbatch has it open
	}
	run, err := j.BeginRun("in.csv", map[string]string{"qps": "20"})
	if err != nil {
		log.Fatal(err)
	}

	key := "svb1c0ffee0000000000000000000000"
	if _, seen, _ := j.Get(key); !seen {
		e := journal.Entry{Key: key, Line: 2, RequestID: key, PayloadHash: "…", State: svbatch.Sending, Attempts: 1}
		if err := j.MarkSending(context.Background(), e); err != nil {
			log.Fatal(err) // do not send: the journal could not promise to remember it
		}
		// … send the request …
		e.State, e.Answered, e.BizSuccess, e.ResultOK = svbatch.Succeeded, true, true, true
		if err := j.Record(e); err != nil {
			log.Fatal(err)
		}
	}
	e, _, _ := j.Get(key)
	fmt.Println(e.Line, e.State, e.RunID == run)

	if err := j.EndRun(run, "complete"); err != nil {
		log.Fatal(err)
	}
	counts, _ := j.Counts()
	fmt.Println(counts)
	if err := j.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2 succeeded true
	// map[succeeded:1]
}
