package cli

import "github.com/meshctl/meshctl/internal/cmd/analyze"

func init() { extraCommands = append(extraCommands, analyze.NewCmd) }
