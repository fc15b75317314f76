package cli

import "github.com/meshctl/meshctl/internal/cmd/manifest"

func init() { extraCommands = append(extraCommands, manifest.NewCmd) }
