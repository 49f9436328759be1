package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
)

// app holds the global flags and the standard streams of one run.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	server, token, output string
	ran                   bool // a command's RunE was reached (flags and arguments were fine)

	cl *client.Client
}

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "wactor",
		Short: "wactor: WebAssembly actors (Ray's actor model on wasm sandboxes)",
		Long: `wactor runs actor classes (WebAssembly modules) as actors, and calls them.

'wactor serve' starts a server; the other commands talk to one at --server
(env WACTOR_SERVER, default ` + client.DefaultServer + `) with --token (env WACTOR_TOKEN).

ACTOR arguments are actor IDs or name:NAME. Method ARGS are JSON values
(5, '"text"', '[1,2]', '{"$bytes":"AAE="}', '{"$future":"ID"}'); a word that is
not valid JSON is taken as a string.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          groupRun,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			a.ran = true
			switch a.output {
			case "table", "json":
			default:
				return usagef("--output must be table or json, not %q", a.output)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", "", "server URL (env WACTOR_SERVER; default "+client.DefaultServer+")")
	pf.StringVar(&a.token, "token", "", "API token (env WACTOR_TOKEN)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")

	root.AddCommand(
		newServeCmd(a),
		newClassCmd(a),
		newActorCmd(a),
		newCallCmd(a),
		newFutureCmd(a),
		newLogsCmd(a),
		newCheckpointCmd(a),
		newNodeCmd(a),
	)
	return root
}

// groupRun is the RunE of commands that only group subcommands: it refuses
// unknown subcommands with a usage error (cobra would print the help and
// succeed).
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		var subs []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				subs = append(subs, c.Name())
			}
		}
		return usagef("%s needs a command: %s", cmd.CommandPath(), strings.Join(subs, ", "))
	}
	return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
}

// group makes a command that only groups subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: groupRun}
	c.AddCommand(subs...)
	return c
}

// nargs wraps a cobra argument check so its errors are usage errors that
// show the command's synopsis.
func nargs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usagef("%s: %v (usage: %s)", cmd.CommandPath(), err, cmd.UseLine())
		}
		return nil
	}
}

// client returns the API client for the global flags and environment.
func (a *app) client() (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	server, token := a.server, a.token
	if server == "" {
		server = a.getenv("WACTOR_SERVER")
	}
	if token == "" {
		token = a.getenv("WACTOR_TOKEN")
	}
	c, err := client.New(client.Config{Server: server, Token: token, UserAgent: "wactor-cli"})
	if err != nil {
		return nil, &usageError{err}
	}
	a.cl = c
	return c, nil
}

// resolveActor turns an ACTOR argument (an ID or name:NAME) into an actor ID.
func (a *app) resolveActor(ctx context.Context, c *client.Client, s string) (string, error) {
	name, ok := strings.CutPrefix(s, "name:")
	if !ok {
		return s, nil
	}
	if err := api.CheckName("actor name", name); err != nil {
		return "", usagef("%q: %v", s, err)
	}
	info, err := c.Lookup(ctx, name)
	if err != nil {
		return "", err
	}
	return info.ID, nil
}

// actorRoute resolves an ACTOR argument and sends one request to the actor's
// route suffix (as "/checkpoints"), decoding the answer into dst (nil: no
// body expected). It returns the resolved actor ID.
func (a *app) actorRoute(ctx context.Context, actor, method, suffix string, body, dst any) (string, error) {
	c, err := a.client()
	if err != nil {
		return "", err
	}
	id, err := a.resolveActor(ctx, c, actor)
	if err != nil {
		return "", err
	}
	return id, c.Do(ctx, method, "/v1/actors/"+url.PathEscape(id)+suffix, body, dst)
}

// parseArgs turns command-line method arguments into call arguments: valid
// JSON as is, anything else as a string.
func parseArgs(args []string) []any {
	out := make([]any, len(args))
	for i, s := range args {
		if json.Valid([]byte(s)) {
			out[i] = json.RawMessage(s)
		} else {
			out[i] = s
		}
	}
	return out
}

func (a *app) json() bool { return a.output == "json" }

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = a.stdout.Write(b)
	return err
}

// table returns a tabwriter on stdout; call Flush when done.
func (a *app) table() *tabwriter.Writer {
	return tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
}

// isTerminal reports whether w is a terminal (a character device), without
// dependencies: good enough to decide whether to draw progress.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// valueJSON formats a value for table output: its JSON, indented.
func valueJSON(v client.Value) string {
	var b bytes.Buffer
	if err := json.Indent(&b, v.Raw(), "", "  "); err != nil {
		return string(v.Raw())
	}
	return b.String()
}
