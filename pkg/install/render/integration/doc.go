// Package integration holds the render package's tests against a real API
// server; it has no code of its own.
package integration
