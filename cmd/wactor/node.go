package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newNodeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "node",
		Short: "Show the server's resource use: actors, sandboxes, memory, queued calls, resources",
		Args:  nargs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			u, err := c.Node(cmd.Context())
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(u)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "actors\t%d (%d passive, %d with a sandbox)\n", u.Actors, u.Passive, u.Sandboxes)
			fmt.Fprintf(w, "sandbox memory\t%d bytes (budget %d, 0: none)\n", u.MemoryBytes, u.MemoryBudget)
			fmt.Fprintf(w, "passive states\t%d bytes\n", u.PassiveBytes)
			fmt.Fprintf(w, "classes\t%d (%d module bytes, %d template bytes, budget %d)\n", u.Classes, u.ClassBytes, u.TemplateBytes, u.ClassMemoryBudget)
			fmt.Fprintf(w, "queued calls\t%d\n", u.QueuedCalls)
			fmt.Fprintf(w, "workers\t%d\n", u.Workers)
			fmt.Fprintf(w, "passivations\t%d (reactivations %d)\n", u.Passivations, u.Reactivations)
			fmt.Fprintf(w, "admission\t%d reservations, %d waiting\n", u.Resources.Reservations, u.Resources.Waiting)
			fmt.Fprintln(w, "RESOURCE\tCAPACITY\tRESERVED\tPENDING")
			for _, r := range u.Resources.Items {
				capacity := fmt.Sprint(r.Capacity)
				if r.Capacity < 0 {
					capacity = "unlimited"
				}
				fmt.Fprintf(w, "%s\t%s\t%v\t%v\n", r.Name, capacity, r.Reserved, r.Pending)
			}
			return w.Flush()
		},
	}
}
