package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeCommands returns every svbatch command line of the README's sh blocks, continuation lines
// joined, with what precedes "svbatch" (env assignments, cron fields, cd …&&) and what follows a
// redirection or comment cut off.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			in = strings.TrimPrefix(line, "```") == "sh"
			continue
		}
		if !in {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cur = cur+line, ""
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		for _, cut := range []string{">>", " > ", "|"} {
			if i := strings.Index(line, cut); i >= 0 {
				line = line[:i]
			}
		}
		f := strings.Fields(line)
		for i, w := range f {
			if w == "svbatch" {
				cmds = append(cmds, strings.Join(f[i:], " "))
				break
			}
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found %d svbatch commands in README.md; the README changed shape?", len(cmds))
	}
	return cmds
}

// TestREADMECommandsParse checks that every command the README shows names a real subcommand with
// real flags and valid values, and the right number of arguments.
func TestREADMECommandsParse(t *testing.T) {
	for _, line := range readmeCommands(t) {
		args := strings.Fields(line)[1:]
		root := newRoot(&cmdIO{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root {
			t.Errorf("README: %q: no such command (%v)", line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		if cmd.Args != nil {
			if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
				t.Errorf("README: %q: %v", line, err)
			}
		}
	}
}

// TestREADMECommandsRun runs the README's commands that need nothing but the repository's own files
// (template, validate on the samples), from a copy of the repository's samples.
func TestREADMECommandsRun(t *testing.T) {
	cmds := readmeCommands(t)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "samples"), os.DirFS("../../samples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ran := 0
	for _, line := range cmds {
		args := strings.Fields(line)[1:]
		switch {
		case args[0] == "template":
		case args[0] == "validate" && strings.HasPrefix(args[1], "samples/"):
		default:
			continue
		}
		var out, errb bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
		if code := exitCode(err, &errb); code != 0 {
			t.Errorf("README: %q: exit %d\n%s%s", line, code, out.String(), errb.String())
		}
		ran++
	}
	if ran < 4 {
		t.Errorf("ran %d README commands; want at least 4", ran)
	}
	for _, f := range []string{"template.xlsx", "模板.xlsx"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("README's template command did not write %s: %v", f, err)
		}
	}
}
