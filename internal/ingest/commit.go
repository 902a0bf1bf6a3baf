package ingest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
)

// Group commit. Durability costs a few fsyncs per write whatever its size, so concurrent
// batches are written together: one committer takes every batch waiting, writes their chunks
// into one pack object (one fsync of the file, one of its directory), records them all in one
// index transaction (one more fsync), and only then answers each request. Under load a group
// holds many batches; alone, a batch is its own group and waits for nobody.
//
// Each group costs a pack file and a transaction whatever its size, in CPU as well as in
// fsyncs, so before closing a group the committer lets requests whose bodies have arrived run,
// and waits (up to maxGroupWait) for those still being decoded. On one busy core, taking only
// what happened to be queued made groups of one or two batches (324 groups for bench/ingest's
// 546 batches), and the CPU spent on each group's pack and transaction was taken from the very
// requests it could have grouped; now it makes about 25 groups of 20.

// job is a batch waiting for the committer.
type job struct {
	batch store.Batch
	data  []byte
	done  chan error
}

const (
	maxGroupJobs  = 128
	maxGroupBytes = 32 << 20
	maxGroupWait  = 10 * time.Millisecond
)

type committer struct {
	h       *Handler
	queue   chan *job
	written chan packed // groups whose pack is durable, waiting for the index transaction
	once    sync.Once
	// decoding counts the requests whose body has been read and that have not yet reached
	// the queue or given up: the batches a group may wait for.
	decoding atomic.Int64
}

// arrival is a request being decoded, counted in committer.decoding until it leaves.
type arrival struct {
	c    *committer
	left bool
}

func (c *committer) arrive() *arrival {
	c.decoding.Add(1)
	return &arrival{c: c}
}

// leave marks the request as no longer on its way to the queue; it may be called again.
func (a *arrival) leave() {
	if !a.left {
		a.left = true
		a.c.decoding.Add(-1)
	}
}

type packed struct {
	group   []*job
	batches []store.Batch
	key     string
	size    int // bytes of the pack
}

// commit hands a batch to the committer and waits until it is durable (or refused). It ends
// a's arrival.
func (c *committer) commit(ctx context.Context, a *arrival, b store.Batch, data []byte) error {
	c.once.Do(func() {
		c.written = make(chan packed, 1)
		go c.loop()
		go c.indexLoop()
	})
	j := &job{batch: b, data: data, done: make(chan error, 1)}
	// Leave before queueing: a committer that took the job first must not wait for it.
	a.leave()
	select {
	case c.queue <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the batch is written whatever happens to the request, so wait for the
	// outcome rather than the client.
	return <-j.done
}

func (c *committer) loop() {
	wait := time.NewTimer(maxGroupWait)
	wait.Stop()
	for first := range c.queue {
		group := []*job{first}
		size := len(first.data)
		waiting := false
	gather:
		for len(group) < maxGroupJobs && size < maxGroupBytes {
			select {
			case j := <-c.queue:
				group = append(group, j)
				size += len(j.data)
				continue
			default:
			}
			if c.decoding.Load() == 0 {
				// Requests whose bodies have arrived may not have been scheduled yet (on one
				// core they wait for this goroutine): let them run once, up to where they
				// block or queue their batch.
				runtime.Gosched()
				if len(c.queue) == 0 && c.decoding.Load() == 0 {
					break
				}
			}
			if !waiting {
				wait.Reset(maxGroupWait)
				waiting = true
			}
			select {
			case j := <-c.queue:
				group = append(group, j)
				size += len(j.data)
			case <-wait.C:
				waiting = false
				break gather
			}
		}
		if waiting {
			wait.Stop()
		}
		c.write(group, size)
	}
}

// write makes a group's pack durable and hands it to the index stage, so the next group's pack
// is written while this one's transaction commits.
func (c *committer) write(group []*job, size int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pack := layout.NewPack(time.Now(), size)
	batches := make([]store.Batch, len(group))
	for i, j := range group {
		b := j.batch
		pack.AddChunk(&b.Chunk, j.data)
		batches[i] = b
	}
	if err := c.h.blobs.Put(ctx, pack.Key(), pack.Bytes()); err != nil {
		for _, j := range group {
			j.done <- fmt.Errorf("ingest: write pack: %w", err)
		}
		return
	}
	c.written <- packed{group: group, batches: batches, key: pack.Key(), size: len(pack.Bytes())}
}

func (c *committer) indexLoop() {
	for p := range c.written {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		start := time.Now()
		errs := c.h.index.AppendBatches(ctx, p.batches)
		if c.h.observe != nil {
			c.h.observe.GroupCommitted(len(p.batches), p.size, time.Since(start))
		}
		stored := false
		for i, j := range p.group {
			if errs[i] == nil {
				stored = true
			}
			j.done <- errs[i]
		}
		if !stored {
			if err := c.h.blobs.Delete(ctx, p.key); err != nil {
				c.h.log.Warn("ingest: remove unused pack", "key", p.key, "err", err)
			}
		}
		cancel()
	}
}
