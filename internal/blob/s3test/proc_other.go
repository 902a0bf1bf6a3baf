//go:build !linux

package s3test

import "os/exec"

// setDeathSignal does nothing where the kernel cannot tie a child's life to its parent's; the
// cleanup stops the server.
func setDeathSignal(*exec.Cmd) {}

// ownsPort cannot tell who listens on a port here; the readiness dial decides alone.
func ownsPort(pid, port int) bool { return true }
