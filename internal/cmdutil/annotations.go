package cmdutil

// OfflineAnnotation marks a command that never talks to a cluster (set to
// "true" in cobra.Command.Annotations, inherited by its subcommands): its
// help leaves out the cluster flags.
const OfflineAnnotation = "meshctl.io/offline"
