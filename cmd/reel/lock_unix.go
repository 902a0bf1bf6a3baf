//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockData takes an exclusive lock on the data directory for as long as `reel serve` runs on
// its embedded index, so a second server on the same directory refuses to start: the sweep
// of crash leftovers at start (lifecycle.SweepCrashLeftovers) deletes every unreferenced
// object, which is only right when no other process is writing. The kernel releases the lock
// when the process dies, kill -9 included. Commands that only read (reel users list, export)
// do not take it.
func lockData(dir string) (release func(), err error) {
	path := filepath.Join(dir, "serve.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another reel serve is using the data directory %s", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
