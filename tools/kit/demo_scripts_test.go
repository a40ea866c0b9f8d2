package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoEveryScriptHasItsMakeTargetAndMakeTestRunsThemAll(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	makefile := string(data)
	seen := map[string]bool{}
	for _, sc := range demoScripts {
		require.False(t, seen[sc.name], "two scripts called %s", sc.name)
		seen[sc.name] = true
		target := regexp.MustCompile(`(?m)^demo-` + regexp.QuoteMeta(sc.name) + `: maintainer-only \$\(KIT\) ## stage \d+: .+\n\t@\$\(KIT\) script ` + regexp.QuoteMeta(sc.name) + `\n`)
		require.Regexp(t, target, makefile, "make demo-%s, listed in make help under the presenters", sc.name)
		require.Contains(t, makefile, " demo-"+sc.name+" ", "demo-%s is .PHONY", sc.name)
	}
	require.Regexp(t, `(?m)^test: .* demos .*##`, makefile, "make test runs make demos")
	require.Regexp(t, `(?m)^demos: maintainer-only \$\(KIT\) ##.*\n\t@\$\(KIT\) script all\n`, makefile)
}

func TestDemoScriptUnknownNameListsTheScripts(t *testing.T) {
	err := runScript([]string{"rcae"})
	require.ErrorContains(t, err, `no demo script "rcae"`)
	for _, sc := range demoScripts {
		require.ErrorContains(t, err, "demo-"+sc.name)
	}
	require.ErrorContains(t, runScript(nil), "usage: kit script NAME|all")
	require.True(t, strings.HasPrefix(scriptList(), "  make"), "a table, indented")
}
