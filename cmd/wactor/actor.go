package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
)

func newActorCmd(a *app) *cobra.Command {
	var opts api.Options
	// The optional options are sent only when their flag is given, so
	// --max-restarts 0 asks for no restarts whatever the server's default.
	var (
		timeout                  time.Duration
		maxRestarts, maxChildren int
		fuel                     uint64
	)
	spawn := &cobra.Command{
		Use:   "spawn CLASS [ARGS...]",
		Short: "Create an actor of a class, running its constructor with ARGS",
		Long: `Create an actor of a class, running its constructor with ARGS (JSON values;
a word that is not valid JSON is a string).`,
		Args: nargs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNames(opts.Name, opts.Namespace); err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("timeout") {
				opts.CallTimeout = &timeout
			}
			if f.Changed("max-restarts") {
				opts.MaxRestarts = &maxRestarts
			}
			if f.Changed("fuel") {
				opts.Fuel = &fuel
			}
			if f.Changed("max-children") {
				opts.MaxChildren = &maxChildren
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			info, err := c.Spawn(cmd.Context(), args[0], opts, parseArgs(args[1:])...)
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(info.Wire()) // as the API shows it
			}
			return a.printActors([]api.ActorInfo{info})
		},
	}
	f := spawn.Flags()
	f.StringVar(&opts.Name, "name", "", "actor name, unique among the live actors of the namespace")
	f.StringVar(&opts.Namespace, "namespace", "", "namespace of the name (default: the token's)")
	f.Uint32Var(&opts.MemoryPages, "memory-pages", 0, "memory limit in 64 KiB pages (default: the server's, 4096 = 256 MiB)")
	f.DurationVar(&timeout, "timeout", 0, "deadline of each call, the constructor included (default: the server's, 30s; 0: the server's maximum)")
	f.IntVar(&maxRestarts, "max-restarts", 0, "restarts after a trap: 0 never, N times, -1 always (default: the server's, 0)")
	f.Uint64Var(&fuel, "fuel", 0, "deterministic fuel per call (about one unit per instruction); 0 none")
	f.IntVar(&opts.MaxPending, "max-pending", 0, "queued calls before callers get backpressure (default: the server's)")
	f.IntVar(&maxChildren, "max-children", 0, "live actors this actor may spawn (default: the server's, 1000)")
	f.BoolVar(&opts.Detached, "detached", false, "no owner: live until killed or exited")
	f.BoolVar(&opts.GetIfExists, "get-if-exists", false, "with --name: return the live actor of that name instead of failing")

	var filter client.ActorFilter
	ls := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the live actors of this namespace",
		Args:    nargs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch filter.State {
			case "", string(api.StatePending), string(api.StateAlive), string(api.StateRestarting), string(api.StateDead):
			default:
				return usagef("--state must be pending, alive, restarting or dead, not %q", filter.State)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			actors, err := c.Actors(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if a.json() {
				list := api.ActorList{Actors: make([]api.WireActor, len(actors))}
				for i, ai := range actors {
					list.Actors[i] = ai.Wire()
				}
				return a.printJSON(list)
			}
			return a.printActors(actors)
		},
	}
	ls.Flags().StringVar(&filter.Class, "class", "", "only actors of this class ID")
	ls.Flags().StringVar(&filter.Name, "name", "", "only the actor with this name")
	ls.Flags().StringVar(&filter.State, "state", "", "only actors in this state (pending, alive, restarting, dead)")

	show := &cobra.Command{
		Use:   "show ACTOR",
		Short: "Show an actor (ID or name:NAME)",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var info api.ActorInfo
			if name, ok := strings.CutPrefix(args[0], "name:"); ok {
				if err := checkNames(name, ""); err != nil {
					return err
				}
				info, err = c.Lookup(cmd.Context(), name)
			} else {
				info, err = c.Actor(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(info.Wire())
			}
			return a.printActor(info)
		},
	}
	kill := &cobra.Command{
		Use:   "kill ACTOR",
		Short: "Kill an actor (ID or name:NAME)",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := a.resolveActor(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.Kill(cmd.Context(), id); err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(map[string]any{"id": id, "killed": true})
			}
			fmt.Fprintf(a.stdout, "killed %s\n", id)
			return nil
		},
	}
	// damaged runs a route for a damaged actor and prints what it returns.
	damaged := func(cmd *cobra.Command, actor, suffix string, body any, done string) error {
		var out json.RawMessage
		var dst any // discard answers 204, no body
		if body != nil {
			dst = &out
		}
		id, err := a.actorRoute(cmd.Context(), actor, http.MethodPost, suffix, body, dst)
		if err != nil {
			return err
		}
		if a.json() && len(out) > 0 {
			return a.printJSON(out)
		}
		fmt.Fprintf(a.stdout, "%s %s\n", done, id)
		return nil
	}
	repair := &cobra.Command{
		Use:   "repair ACTOR [CHECKPOINT]",
		Short: "Repair a damaged actor from a checkpoint on disk (default: the newest that decodes)",
		Args:  nargs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ck := ""
			if len(args) == 2 {
				ck = args[1]
			}
			return damaged(cmd, args[0], "/repair", map[string]any{"checkpoint": ck}, "repaired")
		},
	}
	discard := &cobra.Command{
		Use:   "discard ACTOR",
		Short: "Discard a damaged actor (its files are kept aside on the server)",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return damaged(cmd, args[0], "/discard", nil, "discarded")
		},
	}
	return group("actor", "Manage actors", spawn, ls, show, kill, repair, discard)
}

func (a *app) printActors(actors []api.ActorInfo) error {
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tCLASS\tSTATE\tQUEUE\tCALLS\tRESTARTS\tMEMORY\tAGE")
	for _, ai := range actors {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", ai.ID, dash(ai.Name), shortClass(ai.Class),
			ai.State, ai.QueueLen, ai.CallsServed, ai.Restarts, size(int64(ai.MemoryBytes)), age(ai.Created))
	}
	return tw.Flush()
}

func (a *app) printActor(ai api.ActorInfo) error {
	tw := a.table()
	fmt.Fprintf(tw, "ID:\t%s\n", ai.ID)
	fmt.Fprintf(tw, "Name:\t%s\n", dash(ai.Name))
	if ai.Options.Namespace != "" {
		fmt.Fprintf(tw, "Namespace:\t%s\n", ai.Options.Namespace)
	}
	fmt.Fprintf(tw, "Class:\t%s\n", ai.Class)
	fmt.Fprintf(tw, "State:\t%s\n", ai.State)
	if ai.Running != "" {
		fmt.Fprintf(tw, "Running:\t%s\n", ai.Running)
	}
	if ai.Death != "" {
		fmt.Fprintf(tw, "Death:\t%s\n", ai.Death)
	}
	if ai.DeathError != "" {
		fmt.Fprintf(tw, "Death error:\t%s\n", ai.DeathError)
	}
	fmt.Fprintf(tw, "Queue:\t%d\n", ai.QueueLen)
	fmt.Fprintf(tw, "Calls served:\t%d\n", ai.CallsServed)
	fmt.Fprintf(tw, "Restarts:\t%d\n", ai.Restarts)
	fmt.Fprintf(tw, "Memory:\t%s\n", size(int64(ai.MemoryBytes)))
	fmt.Fprintf(tw, "Created:\t%s (%s ago)\n", ai.Created.Local().Format("2006-01-02 15:04:05"), age(ai.Created))
	o := ai.Options
	var opts []string
	if o.MemoryPages != 0 {
		opts = append(opts, fmt.Sprintf("memory-pages=%d", o.MemoryPages))
	}
	if o.CallTimeout != nil && *o.CallTimeout != 0 {
		opts = append(opts, "timeout="+o.CallTimeout.String())
	}
	if o.MaxRestarts != nil && *o.MaxRestarts != 0 {
		opts = append(opts, fmt.Sprintf("max-restarts=%d", *o.MaxRestarts))
	}
	if o.MaxPending != 0 {
		opts = append(opts, fmt.Sprintf("max-pending=%d", o.MaxPending))
	}
	if o.MaxChildren != nil && *o.MaxChildren != 0 {
		opts = append(opts, fmt.Sprintf("max-children=%d", *o.MaxChildren))
	}
	if o.Detached {
		opts = append(opts, "detached")
	}
	fmt.Fprintf(tw, "Options:\t%s\n", dash(strings.Join(opts, " ")))
	return tw.Flush()
}

// shortClass abbreviates a class ID for tables: sha256:0123456789ab.
func shortClass(id string) string {
	if len(id) > len("sha256:")+12 && strings.HasPrefix(id, "sha256:") {
		return id[:len("sha256:")+12]
	}
	return id
}

// age formats the time since t: 45s, 12m, 3h, 2d.
func age(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// checkNames checks an actor name and a namespace against the name grammar
// (api.CheckName) before anything is sent; empty ones are left out.
func checkNames(name, namespace string) error {
	if name != "" {
		if err := api.CheckName("actor name", name); err != nil {
			return usagef("%v", err)
		}
	}
	if namespace != "" {
		if err := api.CheckName("namespace", namespace); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}
