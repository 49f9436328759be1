package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

func newLogsCmd(a *app) *cobra.Command {
	var (
		follow bool
		since  uint64
	)
	cmd := &cobra.Command{
		Use:   "logs ACTOR",
		Short: "Print an actor's log (ID or name:NAME)",
		Long: `Print an actor's kept log lines (what it logged and wrote to stdout/stderr):
sequence number, time, level and text. With --follow, keep printing new lines
until interrupted or the actor dies. With -o json, one JSON object per line.

The server keeps each actor's last lines within a byte budget (lines of at most
16 KiB; a longer one ends with "[truncated]"), and a dead actor's last lines
for a while after it died. Dropped lines are reported on stderr.`,
		Args: nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			id, err := a.resolveActor(ctx, c, args[0])
			if err != nil {
				return err
			}
			// A gap in the sequence numbers is lines the server dropped
			// (its log keeps a bounded number of bytes and lines).
			next := since
			show := func(l api.LogLine) error {
				if l.Seq > next {
					fmt.Fprintf(a.stderr, "wactor: %d earlier lines were dropped from the actor's log\n", l.Seq-next)
				}
				next = l.Seq + 1
				return a.printLogLine(l)
			}
			if !follow {
				page, err := c.LogPage(ctx, id, since)
				if err != nil {
					return err
				}
				for _, l := range page.Lines {
					if err := show(l); err != nil {
						return err
					}
				}
				return nil
			}
			err = c.FollowLogs(ctx, id, since, show)
			if errors.Is(err, context.Canceled) {
				return nil // interrupted
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	cmd.Flags().Uint64Var(&since, "since", 0, "only lines with a sequence number >= N")
	return cmd
}

func (a *app) printLogLine(l api.LogLine) error {
	if a.json() {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", b)
		return err
	}
	text := l.Text
	if l.Truncated {
		text += " [truncated]"
	}
	_, err := fmt.Fprintf(a.stdout, "%-5d %s %-5s %s\n", l.Seq, l.Time.Local().Format("2006-01-02T15:04:05.000"), levelName(l.Level), text)
	return err
}

func levelName(level int) string {
	switch level {
	case abi.LogDebug:
		return "DEBUG"
	case abi.LogInfo:
		return "INFO"
	case abi.LogWarn:
		return "WARN"
	case abi.LogError:
		return "ERROR"
	}
	return fmt.Sprintf("L%d", level)
}

func newCheckpointCmd(a *app) *cobra.Command {
	// do runs one checkpoint route and prints its JSON response.
	do := func(cmd *cobra.Command, actor, method, suffix string, body any) error {
		var out json.RawMessage
		if _, err := a.actorRoute(cmd.Context(), actor, method, suffix, body, &out); err != nil {
			return err
		}
		return a.printJSON(out)
	}
	create := &cobra.Command{
		Use:   "create ACTOR",
		Short: "Checkpoint an actor's state",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return do(cmd, args[0], http.MethodPost, "/checkpoints", struct{}{})
		},
	}
	ls := &cobra.Command{
		Use:     "ls ACTOR",
		Aliases: []string{"list"},
		Short:   "List an actor's checkpoints",
		Args:    nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return do(cmd, args[0], http.MethodGet, "/checkpoints", nil)
		},
	}
	restore := &cobra.Command{
		Use:   "restore ACTOR [CHECKPOINT]",
		Short: "Restore an actor from a checkpoint (default: the latest)",
		Args:  nargs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ck := ""
			if len(args) == 2 {
				ck = args[1]
			} else {
				// The latest: the first of the newest-first list.
				var list struct {
					Checkpoints []struct{ ID string } `json:"checkpoints"`
				}
				id, err := a.actorRoute(cmd.Context(), args[0], http.MethodGet, "/checkpoints", nil, &list)
				if err != nil {
					return err
				}
				if len(list.Checkpoints) == 0 {
					return fmt.Errorf("actor %s has no checkpoint", id)
				}
				ck = list.Checkpoints[0].ID
			}
			return do(cmd, args[0], http.MethodPost, "/restore", map[string]any{"checkpoint": ck})
		},
	}
	c := group("checkpoint", "Checkpoint and restore actors (in memory on the server; docs/SNAPSHOTS.md)", create, ls, restore)
	return c
}
