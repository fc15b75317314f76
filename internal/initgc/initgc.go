// Package initgc keeps Go's garbage collector off while the linked packages
// are initialised; main turns it back on first thing.
//
// Those initialisers (the Kubernetes API schemes, protobuf descriptors, the
// JSON Schema metaschemas that helm links) allocate about 5 MB and trigger two
// collections. The collections give back 2-3 MB of garbage but cost about
// 2 ms of a 13 ms `meshctl version --client`; the peak resident memory is the
// same either way.
//
// This only helps if the package is initialised before those heavy ones. Go
// initialises, among the packages whose imports are done, the one whose import
// path sorts first; this package waits only for runtime/debug. A test in
// cmd/meshctl checks the order in the built binary.
package initgc

import "runtime/debug"

// saved is the collector's setting from GOGC (100 when unset).
var saved = debug.SetGCPercent(-1)

// Restore turns the collector back on with the setting it had before.
func Restore() {
	debug.SetGCPercent(saved)
}
