// Package e2e holds Reel's end-to-end tests: they build the real `reel` binary, start it on a
// temporary data directory, drive Debian's headless Chromium through the demo shop and the
// dashboard, and check what a user would see.
package e2e
