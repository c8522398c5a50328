package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/buildinfo"
)

// versionTemplate is what `latchkey --version` prints: the same text as
// `latchkey version`.
const versionTemplate = `{{.Version}}`

// versionText is the root command's Version: cobra prints it for
// --version through versionTemplate.
func versionText() string {
	var b strings.Builder
	_ = buildinfo.Read().WriteText(&b)
	return b.String()
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of this binary",
		Long: `Print the version, commit and Go version of this binary, as the Go linker
recorded them: version is "(devel)" for a binary built from a checkout, and
commit is "unknown" when the build recorded no VCS information. The text
form is one "key: value" line each for version, commit, modified and go;
--json prints one object with version, commit, modified and go_version.
The same values are in the serve start log line and in the
latchkey_build_info metric.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Read()
			if asJSON {
				return info.WriteJSON(cmd.OutOrStdout())
			}
			return info.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
