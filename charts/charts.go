// Package charts holds meshctl's Helm charts (base, istiod, gateway) in an
// embedded filesystem, so that rendering an install needs no files on disk.
// Each chart is also an ordinary chart directory for the helm command.
package charts

import "embed"

// FS holds every chart directory, one per top-level entry (base, istiod,
// gateway). "all:" keeps files whose names start with "_" or ".", such as
// _helpers.tpl.
//
//go:embed all:*
var FS embed.FS
