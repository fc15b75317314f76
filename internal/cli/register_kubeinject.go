package cli

import "github.com/meshctl/meshctl/internal/cmd/kubeinject"

func init() { extraCommands = append(extraCommands, kubeinject.NewCmd) }
