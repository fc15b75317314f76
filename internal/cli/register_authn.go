package cli

import "github.com/meshctl/meshctl/internal/cmd/authn"

func init() { extraCommands = append(extraCommands, authn.NewCmd) }
