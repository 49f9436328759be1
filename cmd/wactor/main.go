// Command wactor runs a wactor server and talks to one.
//
//	wactor serve [--addr 127.0.0.1:7070] [--data ./wactor-data] [--tokens FILE] ...
//	wactor class push|ls|show|rm
//	wactor actor spawn|ls|show|kill|repair|discard
//	wactor call ACTOR METHOD [ARGS...]
//	wactor future get ID
//	wactor logs ACTOR
//	wactor checkpoint create|ls|restore
//
// The client commands talk to --server (env WACTOR_SERVER, default
// http://127.0.0.1:7070) with --token (env WACTOR_TOKEN). ACTOR is an actor
// ID or name:NAME. ARGS are JSON values; a word that is not valid JSON is a
// string. Output is a table by default, JSON with -o json.
//
// Errors print "error: <code>: <message>" on stderr; the exit code is 2 for
// usage errors and 1 for other errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/wactor/wactor/client"
)

func main() {
	// SIGINT/SIGTERM cancel the command's context: a call's request is
	// abandoned, logs --follow ends, serve shuts down gracefully. Once ctx is
	// done, a second signal kills the process.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRoot(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue *usageError
	usage := errors.As(err, &ue) || !a.ran // cobra failed before running a command: flags or arguments
	printError(stderr, err, usage)
	if usage {
		return exitUsage
	}
	return exitError
}

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// codedError is a local error with a code for printing.
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.code + ": " + e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// printError prints "error: <code>: <message>", and the details of API errors.
func printError(w io.Writer, err error, usage bool) {
	var ae *client.Error
	var ce *codedError
	switch {
	case errors.As(err, &ae):
		fmt.Fprintf(w, "error: %s: %s\n", ae.Code, ae.Message)
		keys := make([]string, 0, len(ae.Details))
		for k := range ae.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := fmt.Sprint(ae.Details[k])
			if strings.Contains(v, "\n") {
				v = "\n    " + strings.ReplaceAll(strings.TrimRight(v, "\n"), "\n", "\n    ")
			}
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	case usage:
		fmt.Fprintf(w, "error: usage: %s\n", err)
		fmt.Fprintln(w, "Run 'wactor --help' (or 'wactor COMMAND --help') for usage.")
	case errors.As(err, &ce):
		fmt.Fprintf(w, "error: %s: %s\n", ce.code, ce.err)
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(w, "error: deadline_exceeded: %s\n", err)
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(w, "error: canceled: %s\n", err)
	case isConnError(err):
		fmt.Fprintf(w, "error: unavailable: %s\n", err)
	default:
		fmt.Fprintf(w, "error: client: %s\n", err)
	}
}

// isConnError reports whether err is a failure to reach the server.
func isConnError(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &oe) || (errors.As(err, &ue) && !errors.Is(err, context.Canceled))
}
