package cli

import "github.com/meshctl/meshctl/internal/cmd/profile"

func init() { extraCommands = append(extraCommands, profile.NewCmd) }
