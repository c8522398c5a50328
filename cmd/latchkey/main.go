// Command latchkey is a self-hosted OAuth 2.0 / OpenID Connect authorization
// server that speaks Okta's dialect, and the tools around it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(os.Getenv)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "latchkey:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a code after the command printed its own
// message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// globals are the persistent flags of the root command.
type globals struct {
	configPath string
	db         string
	getenv     func(string) string
}

func newRootCmd(getenv func(string) string) *cobra.Command {
	g := &globals{getenv: getenv}
	root := &cobra.Command{
		Use:   "latchkey",
		Short: "An Okta-compatible OAuth 2.0 / OpenID Connect authorization server",
		Long: `Latchkey is a self-hosted OAuth 2.0 / OpenID Connect authorization server that
speaks Okta's dialect: apps written for Okta work against it by changing one
base URL.

Configuration comes from a YAML file (--config), then LATCHKEY_* environment
variables, then flags. Commands that manage records (users, clients, groups,
authorization servers and their scopes, claims, policies and rules, keys)
work on the same store as a running server.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionText(),
	}
	root.SetVersionTemplate(versionTemplate)
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "path of a YAML configuration file (unknown keys are an error)")
	root.PersistentFlags().StringVar(&g.db, "db", "", "store DSN: a SQLite file path (overrides the config file and LATCHKEY_DB)")
	root.AddCommand(newServeCmd(g), newMigrateCmd(g), newMigrateStoreCmd(), newUsersCmd(g), newClientsCmd(g), newGroupsCmd(g), newKeysCmd(g),
		newAuthServersCmd(g), newScopesCmd(g), newClaimsCmd(g), newPoliciesCmd(g), newRulesCmd(g), newApplyCmd(g), newEventsCmd(g),
		newAPITokensCmd(g), newTokenCmd(getenv), newVerifyCmd(), newImportCmd(g), newExportCmd(g), newVersionCmd(), newBackupCmd(g), newBenchCmd(getenv))
	failUnknownSubcommands(root)
	return root
}

// load reads the configuration: defaults, file, environment, then the root
// flags. Callers apply their own flags before Validate.
func (g *globals) load() (config.Config, error) {
	cfg, err := config.Load(g.configPath, g.getenv)
	if err != nil {
		return config.Config{}, err
	}
	if g.db != "" {
		cfg.DB = g.db
	}
	return cfg, nil
}

// loadExisting is load and Validate for a command that works on an
// existing deployment: a SQLite file that does not exist is refused
// ("database not found"), before the master key is looked for.
func (g *globals) loadExisting() (config.Config, error) {
	cfg, err := g.load()
	if err != nil {
		return config.Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, err
	}
	if err := app.CheckDatabase(cfg.DB); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
