// Command wactor-bench prints wactor's microbenchmark table: Ray's
// microbenchmark rows (actor calls sync and async, 1:1, 1:n and n:n, with a
// future argument, actor-to-actor ping-pong, actor creation, idle actors
// per GiB), checkpoint and restore, and the HTTP API, each next to the
// baselines measured in the same run (raw wazero, the Extism Go SDK,
// protoactor-go) and printed as a ratio to them.
//
// Usage:
//
//	wactor-bench [-quick] [-repeat N] [-rows REGEX] [-json FILE] [-markdown FILE]
//
// Each row runs a fixed number of operations (divided by 50 with -quick),
// once untimed to warm up and then N times (default 3), and reports the
// median and the range. The table goes to standard output; -json and
// -markdown also write it to files. The exit status is 1 if any row failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"

	"github.com/wactor/wactor/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wactor-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		jsonFile = flag.String("json", "", "also write the results as JSON to `FILE`")
		mdFile   = flag.String("markdown", "", "also write the table as Markdown to `FILE`")
		quick    = flag.Bool("quick", false, "quick mode: a fiftieth of the operations (the whole run takes under a minute)")
		scale    = flag.Float64("scale", 0, "multiply every row's operation count by `F` (overrides -quick)")
		repeat   = flag.Int("repeat", 3, "measured repetitions per row")
		rows     = flag.String("rows", "", "run only the rows whose ID or name matches `REGEX` (and their baselines)")
		list     = flag.Bool("list", false, "list the rows and exit")
		quiet    = flag.Bool("q", false, "do not print progress to standard error")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *list {
		for _, r := range bench.Rows() {
			fmt.Printf("%-28s %s\n", r.ID, r.Name)
		}
		return nil
	}
	opts := bench.Options{Scale: 1, Repeat: *repeat, Progress: os.Stderr}
	if *quick {
		opts.Scale = bench.QuickScale
	}
	if *scale > 0 {
		opts.Scale = *scale
	}
	if *quiet {
		opts.Progress = nil
	}
	if *rows != "" {
		re, err := regexp.Compile(*rows)
		if err != nil {
			return fmt.Errorf("-rows: %w", err)
		}
		opts.Rows = re
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	if err := rep.WriteText(os.Stdout); err != nil {
		return err
	}
	if err := writeFile(*jsonFile, rep.WriteJSON); err != nil {
		return err
	}
	if err := writeFile(*mdFile, rep.WriteMarkdown); err != nil {
		return err
	}
	if rep.Failed() {
		return errors.New("some rows failed (see the table)")
	}
	return nil
}

func writeFile(name string, write func(io.Writer) error) error {
	if name == "" {
		return nil
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
