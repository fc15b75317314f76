package cli

import "github.com/meshctl/meshctl/internal/cmd/experimental"

func init() { extraCommands = append(extraCommands, experimental.NewCmd) }
