package cli

import "github.com/meshctl/meshctl/internal/cmd/install"

func init() {
	extraCommands = append(extraCommands, install.NewCmd, install.NewVerifyCmd, install.NewUninstallCmd)
	extraSubcommands["manifest"] = append(extraSubcommands["manifest"], install.NewApplyCmd)
}
