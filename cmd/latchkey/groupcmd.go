package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// failUnknownSubcommands makes every command group below root (a command
// with subcommands and no action of its own) refuse a stray argument as an
// unknown command, with cobra's suggestions, and a non-zero exit. Cobra
// itself does this for the root only: a group without RunE prints its help
// and exits 0 whatever follows it, so `latchkey users lsit` looked like a
// success. A group given no argument at all still prints its help.
//
// The root keeps cobra's own handling, which already fails with the same
// message.
func failUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		failUnknownSubcommands(c)
		if c.Runnable() || !c.HasSubCommands() {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return unknownCommandError(cmd, args[0])
		}
	}
}

// unknownCommandError is cobra's own message for an unknown command, with
// its "Did you mean this?" suggestions.
func unknownCommandError(cmd *cobra.Command, arg string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	var b strings.Builder
	fmt.Fprintf(&b, "unknown command %q for %q", arg, cmd.CommandPath())
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		b.WriteString("\n\nDid you mean this?\n")
		for _, name := range s {
			fmt.Fprintf(&b, "\t%s\n", name)
		}
	}
	return errors.New(strings.TrimRight(b.String(), "\n"))
}
