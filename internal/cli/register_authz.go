package cli

import "github.com/meshctl/meshctl/internal/cmd/authz"

func init() { extraCommands = append(extraCommands, authz.NewCmd) }
