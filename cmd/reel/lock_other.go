//go:build !unix

package main

// lockData does nothing where flock is not available: one server per data directory is then
// the operator's to ensure (docs/storage.md, "Crash leftovers").
func lockData(string) (func(), error) { return func() {}, nil }
