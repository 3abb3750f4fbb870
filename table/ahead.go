package table

// Ahead runs a producer on its own goroutine, a few batches ahead of the consumer, so producing
// (parsing a file, checking rows) and consuming use two cores while memory stays bounded: at most
// depth batches of size items wait, and the batches the consumer is done with are reused.
//
// next is called only on Ahead's goroutine; it returns an error to end the stream (io.EOF at the
// end), and skip=true for an item that is not to be delivered (e.g. an empty row). Batch and Stop
// are for one consumer goroutine.
type Ahead[T any] struct {
	next    func() (item T, skip bool, err error)
	size    int
	batches chan aheadBatch[T]
	free    chan []T
	stop    chan struct{}
	stopped chan struct{}
	last    []T
	err     error
	done    bool
}

type aheadBatch[T any] struct {
	items []T
	err   error
}

// NewAhead starts reading ahead with next, in batches of size items, at most depth waiting.
func NewAhead[T any](size, depth int, next func() (item T, skip bool, err error)) *Ahead[T] {
	a := &Ahead[T]{
		next:    next,
		size:    size,
		batches: make(chan aheadBatch[T], depth),
		free:    make(chan []T, depth+2),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go a.run()
	return a
}

func (a *Ahead[T]) run() {
	defer close(a.stopped)
	for {
		var b aheadBatch[T]
		select {
		case b.items = <-a.free:
		default:
			b.items = make([]T, 0, a.size)
		}
		for len(b.items) < a.size {
			item, skip, err := a.next()
			if err != nil {
				b.err = err
				break
			}
			if !skip {
				b.items = append(b.items, item)
			}
		}
		select {
		case a.batches <- b:
		case <-a.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// Batch returns the next non-empty batch of items in order, or the error that ended the stream
// (after every item before it was returned). The slice is valid until the next call of Batch.
// After Stop, Batch returns (nil, nil).
func (a *Ahead[T]) Batch() ([]T, error) {
	if a.last != nil {
		var zero T
		for i := range a.last {
			a.last[i] = zero // let the GC have what the items held
		}
		select {
		case a.free <- a.last[:0]:
		default:
		}
		a.last = nil
	}
	for {
		if a.err != nil || a.done {
			return nil, a.err
		}
		b := <-a.batches
		a.err = b.err
		if len(b.items) > 0 {
			a.last = b.items
			return b.items, nil
		}
	}
}

// Stop ends the goroutine and waits for it. Safe to call more than once.
func (a *Ahead[T]) Stop() {
	if a.done {
		return
	}
	a.done = true
	close(a.stop)
	<-a.stopped
}
