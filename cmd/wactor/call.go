package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/client"
)

// deadlineGrace is how much longer than a call's own timeout the CLI waits
// for the server's answer, so that the server reports the deadline.
const deadlineGrace = 5 * time.Second

func newCallCmd(a *app) *cobra.Command {
	var (
		async   bool
		timeout time.Duration
		returns int
	)
	cmd := &cobra.Command{
		Use:   "call ACTOR METHOD [ARGS...]",
		Short: "Call a method of an actor (ID or name:NAME)",
		Long: `Call a method of an actor (ID or name:NAME) with ARGS (JSON values; a word that
is not valid JSON is a string; '{"$future":"ID"}' passes a future's value).

By default the call waits for the result and prints it. With --async it
prints the call's future IDs at once; get the results with 'wactor future get'.`,
		Args: nargs(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if returns < 0 {
				return usagef("--returns must not be negative")
			}
			if timeout < 0 {
				return usagef("--timeout must not be negative")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			id, err := a.resolveActor(ctx, c, args[0])
			if err != nil {
				return err
			}
			method, cargs := args[1], parseArgs(args[2:])
			opts := client.CallOptions{NumReturns: returns, Timeout: timeout}
			if async {
				futs, err := c.Submit(ctx, id, method, opts, cargs...)
				if err != nil {
					return err
				}
				ids := make([]string, len(futs))
				for i, f := range futs {
					ids[i] = f.ID
				}
				if a.json() {
					return a.printJSON(map[string]any{"futures": ids})
				}
				for _, id := range ids {
					fmt.Fprintln(a.stdout, id)
				}
				return nil
			}
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout+deadlineGrace)
				defer cancel()
			}
			stop := waitIndicator(a.stderr, "calling "+method)
			var v client.Value
			if opts == (client.CallOptions{}) {
				v, err = c.Invoke(ctx, id, method, cargs...)
			} else {
				v, err = invokeWith(ctx, c, id, method, opts, cargs)
			}
			stop()
			if err != nil {
				return err
			}
			return a.printValue(v, returns > 1)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&async, "async", false, "submit the call and print its future IDs without waiting")
	f.DurationVar(&timeout, "timeout", 0, "the call's deadline (default: the actor's call timeout)")
	f.IntVar(&returns, "returns", 0, "number of return values (default: the method's)")
	return cmd
}

// invokeWith is a synchronous call with options: Submit, then the values
// of its futures (several as one array, as a synchronous call of the API
// returns them).
func invokeWith(ctx context.Context, c *client.Client, id, method string, opts client.CallOptions, args []any) (client.Value, error) {
	futs, err := c.Submit(ctx, id, method, opts, args...)
	if err != nil {
		return client.Value{}, err
	}
	if len(futs) == 1 {
		return futs[0].Get(ctx)
	}
	vals := make([]json.RawMessage, len(futs))
	for i, f := range futs {
		v, err := f.Get(ctx)
		if err != nil {
			return client.Value{}, err
		}
		vals[i] = v.Raw()
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return client.Value{}, err
	}
	return client.ValueOf(b), nil
}

// printValue prints a result: as {"value": v} (or {"values": [..]}) with
// -o json, as indented JSON otherwise.
func (a *app) printValue(v client.Value, several bool) error {
	if a.json() {
		key := "value"
		if several {
			key = "values"
		}
		return a.printJSON(map[string]any{key: v})
	}
	_, err := fmt.Fprintln(a.stdout, valueJSON(v))
	return err
}

func newFutureCmd(a *app) *cobra.Command {
	var (
		wait    bool
		timeout time.Duration
	)
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Get a future's value, or 'pending'",
		Long: `Get a future's value. Without --wait it prints 'pending' (with -o json,
{"pending": true}) if the value is not ready; with --wait it waits for it
(at most --timeout, if given).`,
		Args: nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return usagef("--timeout must not be negative")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var v client.Value
			ready := false
			if wait {
				wctx := ctx
				if timeout > 0 {
					var cancel context.CancelFunc
					wctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
				stop := waitIndicator(a.stderr, "waiting for "+args[0])
				for !ready && wctx.Err() == nil {
					v, ready, err = c.Future(args[0]).Poll(wctx, client.MaxWait)
					if err != nil && wctx.Err() != nil && ctx.Err() == nil {
						err = nil // --timeout passed: report pending
					}
					if err != nil {
						break
					}
				}
				stop()
			} else {
				v, ready, err = c.Future(args[0]).Poll(ctx, 0)
			}
			if err != nil {
				return err
			}
			if !ready {
				if a.json() {
					return a.printJSON(map[string]any{"pending": true})
				}
				fmt.Fprintln(a.stdout, "pending")
				return nil
			}
			return a.printValue(v, false)
		},
	}
	get.Flags().BoolVar(&wait, "wait", false, "wait until the value is ready")
	get.Flags().DurationVar(&timeout, "timeout", 0, "with --wait: wait at most this long (default: no limit)")
	return group("future", "Get futures' values", get)
}
