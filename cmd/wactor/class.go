package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

func newClassCmd(a *app) *cobra.Command {
	push := &cobra.Command{
		Use:   "push FILE",
		Short: "Upload a module (.wasm; - for stdin) as a class",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var wasm []byte
			var err error
			if args[0] == "-" {
				wasm, err = io.ReadAll(a.stdin)
			} else {
				wasm, err = os.ReadFile(args[0])
			}
			if err != nil {
				return &codedError{"client", err}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var progress func(sent, total int64)
			var bar *progressBar
			if len(wasm) > progressThreshold && isTerminal(a.stderr) {
				bar = newProgressBar(a.stderr, "uploading "+filepath.Base(args[0]))
				progress = bar.update
			}
			info, err := c.PushClass(cmd.Context(), wasm, progress)
			if bar != nil {
				bar.done()
			}
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(info)
			}
			return a.printClasses([]api.ClassInfo{info})
		},
	}
	ls := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the classes uploaded in this namespace",
		Args:    nargs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			classes, err := c.Classes(cmd.Context())
			if err != nil {
				return err
			}
			if a.json() {
				if classes == nil {
					classes = []api.ClassInfo{}
				}
				return a.printJSON(map[string]any{"classes": classes})
			}
			return a.printClasses(classes)
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a class and its methods",
		Args:  nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			info, err := c.Class(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(info)
			}
			return a.printClass(info)
		},
	}
	rm := &cobra.Command{
		Use:     "rm ID",
		Aliases: []string{"delete"},
		Short:   "Remove a class that no live actor uses",
		Args:    nargs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.DeleteClass(cmd.Context(), args[0]); err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(map[string]any{"id": args[0], "deleted": true})
			}
			fmt.Fprintf(a.stdout, "deleted %s\n", args[0])
			return nil
		},
	}
	return group("class", "Manage classes (WebAssembly modules)", push, ls, show, rm)
}

func (a *app) printClasses(classes []api.ClassInfo) error {
	tw := a.table()
	fmt.Fprintln(tw, "ID\tNAME\tSIZE\tMETHODS")
	for _, ci := range classes {
		names := make([]string, len(ci.Methods))
		for i, m := range ci.Methods {
			names[i] = m.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ci.ID, dash(ci.Name), size(int64(ci.Size)), dash(strings.Join(names, ",")))
	}
	return tw.Flush()
}

func (a *app) printClass(ci api.ClassInfo) error {
	tw := a.table()
	fmt.Fprintf(tw, "ID:\t%s\n", ci.ID)
	fmt.Fprintf(tw, "Name:\t%s\n", dash(ci.Name))
	if ci.Doc != "" {
		fmt.Fprintf(tw, "Doc:\t%s\n", ci.Doc)
	}
	fmt.Fprintf(tw, "Size:\t%s (%d bytes)\n", size(int64(ci.Size)), ci.Size)
	fmt.Fprintf(tw, "Manifest:\t%v\n", ci.HasManifest)
	if ci.Init != nil {
		fmt.Fprintf(tw, "Constructor:\t%s\n", signature(*ci.Init, "wactor_init", true))
	}
	fmt.Fprintf(tw, "Loaded:\t%s\n", ci.LoadedAt.Local().Format("2006-01-02 15:04:05"))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ci.Methods) == 0 {
		return nil
	}
	fmt.Fprintln(a.stdout)
	tw = a.table()
	fmt.Fprintln(tw, "METHOD\tRETURNS\tDOC")
	for _, m := range ci.Methods {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", signature(m, m.Name, ci.HasManifest), m.DefaultReturns(), m.Doc)
	}
	return tw.Flush()
}

// signature formats a method as name(a, b, rest...); without a manifest the
// parameters are unknown: name(?).
func signature(m abi.MethodSpec, name string, known bool) string {
	if !known {
		return name + "(?)"
	}
	ps := append([]string(nil), m.Params...)
	if m.Variadic && len(ps) > 0 {
		ps[len(ps)-1] += "..."
	}
	return name + "(" + strings.Join(ps, ", ") + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// size formats a byte count for humans.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
