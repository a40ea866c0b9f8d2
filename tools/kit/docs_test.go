package main

import (
	"flag"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The one-page cheat sheet (docs/cheatsheet.md) and its print layout
// (docs/cheatsheet.html, written from it). The tests keep it true: every learner
// make target, every route, header, query parameter and status code of the
// latest stage is on it.

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/cheatsheet.html from docs/cheatsheet.md")

const cheatSheetMD, cheatSheetHTML = "docs/cheatsheet.md", "docs/cheatsheet.html"

// kitRoot moves the test into the kit's top folder.
func kitRoot(t *testing.T) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	t.Chdir(root)
}

func TestCheatSheetHTMLIsCurrent(t *testing.T) {
	kitRoot(t)
	want := renderCheatSheet(readFile(t, cheatSheetMD))
	if *updateDocs {
		require.NoError(t, os.WriteFile(cheatSheetHTML, []byte(want), 0o644))
	}
	require.Equal(t, want, readFile(t, cheatSheetHTML),
		"%s is written from %s: go test ./tools/kit -run TestCheatSheetHTMLIsCurrent -update-docs", cheatSheetHTML, cheatSheetMD)
}

// learnerTargets are the make targets with a "## " help comment that are not
// maintainer-only, as make help names them (test-stageN for the per-stage rules).
func learnerTargets(makefile string) []string {
	rule := regexp.MustCompile(`^([$()A-Za-z0-9_ %:-]+?):(.*)## `)
	perStage := regexp.MustCompile(`^\$\([A-Z_]+\): ([a-z-]+)%$`)
	var out []string
	for _, line := range strings.Split(makefile, "\n") {
		m := rule.FindStringSubmatch(line)
		if m == nil || strings.Contains(m[2], "maintainer-only") {
			continue
		}
		name := m[1]
		if strings.Contains(m[2], "%:") { // $(TEST_STAGES): test-stage%: $(KIT) ## ...
			name = strings.TrimSpace(name + ":" + strings.SplitN(m[2], ":", 2)[0])
		}
		if p := perStage.FindStringSubmatch(name); p != nil {
			name = p[1] + "N"
		}
		out = append(out, name)
	}
	return out
}

func TestLearnerTargetsAsMakeHelpNamesThem(t *testing.T) {
	makefile := "help: ## list\nbench: maintainer-only ## speed\n$(TEST_STAGES): test-stage%: $(KIT) ## tests\nsetup-build: # no help\n"
	require.Equal(t, []string{"help", "test-stageN"}, learnerTargets(makefile))
}

// latestStageDir is the newest stage's solution folder that has an HTTP API.
func latestStageDir(t *testing.T) string {
	t.Helper()
	dirs, err := filepath.Glob("solutions/[0-9][0-9]-*/http_api.go")
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "no solutions/NN-*/http_api.go")
	slices.Sort(dirs)
	return filepath.Dir(dirs[len(dirs)-1])
}

// goSources is the text of the non-test Go files matching the globs.
func goSources(t *testing.T, globs ...string) string {
	t.Helper()
	var b strings.Builder
	for _, g := range globs {
		files, err := filepath.Glob(g)
		require.NoError(t, err)
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				b.WriteString(readFile(t, f))
			}
		}
	}
	return b.String()
}

// statusCodes maps http.StatusXxx names to their numbers.
func statusCodes() map[string]int {
	codes := map[string]int{}
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			codes[regexp.MustCompile(`[^A-Za-z]`).ReplaceAllString(text, "")] = code
		}
	}
	codes["RequestEntityTooLarge"] = http.StatusRequestEntityTooLarge // its text is "Request Entity Too Large"
	codes["UnprocessableEntity"] = http.StatusUnprocessableEntity
	return codes
}

func TestCheatSheetIsTrue(t *testing.T) {
	kitRoot(t)
	sheet := readFile(t, cheatSheetMD)
	latest := latestStageDir(t)
	api := goSources(t, filepath.Join(latest, "*.go"), "internal/web/*.go")

	t.Run("make targets", func(t *testing.T) {
		targets := learnerTargets(readFile(t, "Makefile"))
		require.Contains(t, targets, "test-stageN")
		for _, target := range targets {
			if !strings.Contains(sheet, "`make "+target) {
				t.Errorf("make %s (the Makefile gives it a ## help comment) is missing from %s", target, cheatSheetMD)
			}
		}
	})

	t.Run("routes of "+latest, func(t *testing.T) {
		route := regexp.MustCompile(`\be\.(GET|POST|PUT|PATCH|DELETE)\("([^"]+)"`)
		found := route.FindAllStringSubmatch(api, -1)
		require.GreaterOrEqual(t, len(found), 10, "routes in %s and internal/web", latest)
		for _, m := range found {
			path := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(m[2], "{$1}")
			if !strings.Contains(sheet, "`"+m[1]+" "+path) {
				t.Errorf("%s %s, a route of %s, is missing from %s", m[1], path, latest, cheatSheetMD)
			}
		}
	})

	t.Run("headers and query parameters of "+latest, func(t *testing.T) {
		var names []string
		for _, re := range []string{
			`Header\(\)\.(?:Get|Values|Set)\("([A-Za-z-]+)"`, // read or set by the handlers
			`Header\.(?:Get|Values)\("([A-Za-z-]+)"`,
			`Header[A-Za-z]+\s*=\s*"([A-Za-z-]+)"`, // internal/web's header names
			`QueryParam\("([a-z_]+)"\)`,
			`queryInt\(c, "([a-z_]+)"`,
			`queryDay\(c, "([a-z_]+)"`,
		} {
			for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(api, -1) {
				if !slices.Contains(names, m[1]) && m[1] != "name" {
					names = append(names, m[1])
				}
			}
		}
		for _, must := range []string{"If-Match", "Idempotency-Key", "X-Correlation-ID", "X-User-ID", "X-Request-ID", "min_position"} {
			require.Contains(t, names, must, "the scan of %s finds what the kit is known to use", latest)
		}
		for _, name := range names {
			if !regexp.MustCompile(`[^A-Za-z_-]` + regexp.QuoteMeta(name) + `[^A-Za-z_-]`).MatchString(sheet) {
				t.Errorf("%s, which %s reads or sets, is missing from %s", name, latest, cheatSheetMD)
			}
		}
	})

	t.Run("status codes of "+latest, func(t *testing.T) {
		codes := statusCodes()
		statusRow := regexp.MustCompile(`(?m)^\| ([0-9 ·]+) \|`)
		var listed []string
		var missing []int
		for _, m := range statusRow.FindAllStringSubmatch(sheet, -1) {
			listed = append(listed, strings.Fields(strings.ReplaceAll(m[1], "·", " "))...)
		}
		for _, m := range regexp.MustCompile(`http\.Status([A-Za-z]+)\b[^(]`).FindAllStringSubmatch(api, -1) {
			code, ok := codes[m[1]]
			require.True(t, ok, "http.Status%s is a status code", m[1])
			if !slices.Contains(listed, fmt.Sprint(code)) && !slices.Contains(missing, code) {
				missing = append(missing, code)
				t.Errorf("%d (http.Status%s), which %s answers, has no row in the status codes of %s", code, m[1], latest, cheatSheetMD)
			}
		}
	})

	t.Run("README links it", func(t *testing.T) {
		if !strings.Contains(readFile(t, "README.md"), "("+cheatSheetMD+")") {
			t.Errorf("README.md does not link %s", cheatSheetMD)
		}
	})
}

// renderCheatSheet writes the cheat sheet's print layout: the Markdown of
// docs/cheatsheet.md (headings, paragraphs, tables, `code` and **bold** only) as
// one HTML page sized for A4. Comments place the sections: "<!-- print: column 1 -->"
// and "<!-- print: column 2 -->" start the two columns of a band, "<!-- print:
// across the page -->" ends them, and the sections after it span the page.
func renderCheatSheet(md string) string {
	var body strings.Builder
	section, columns := false, false
	closeSection := func() {
		if section {
			body.WriteString("</section>\n")
			section = false
		}
	}
	closeColumns := func() {
		closeSection()
		if columns {
			body.WriteString("</div></div>\n")
			columns = false
		}
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "<!-- print: column 1 -->":
			closeColumns()
			body.WriteString("<div class=\"band\"><div>\n")
			columns = true
		case line == "<!-- print: column 2 -->":
			closeSection()
			body.WriteString("</div><div>\n")
		case line == "<!-- print: across the page -->":
			closeColumns()
		case line == "" || strings.HasPrefix(line, "<!--"):
		case strings.HasPrefix(line, "# "):
			fmt.Fprintf(&body, "<h1>%s</h1>\n", inline(line[2:]))
		case strings.HasPrefix(line, "## "):
			closeSection()
			fmt.Fprintf(&body, "<section>\n<h2>%s</h2>\n", inline(line[3:]))
			section = true
		case strings.HasPrefix(line, "|"):
			body.WriteString("<table>\n")
			start := i
			for j := start; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
				i = j
				if j == start+1 {
					continue // the |---| line
				}
				tag := "td"
				if j == start {
					tag = "th"
				}
				body.WriteString("<tr>")
				for _, cell := range tableCells(lines[j]) {
					fmt.Fprintf(&body, "<%s>%s</%s>", tag, inline(cell), tag)
				}
				body.WriteString("</tr>\n")
			}
			body.WriteString("</table>\n")
		default:
			fmt.Fprintf(&body, "<p>%s</p>\n", inline(line))
		}
	}
	closeColumns()
	return `<!DOCTYPE html>
<!-- Written from docs/cheatsheet.md by: go test ./tools/kit -run TestCheatSheetHTMLIsCurrent -update-docs
     Print it on A4 from a browser, or: chromium --headless --print-to-pdf=cheatsheet.pdf docs/cheatsheet.html -->
<html lang="en">
<head>
<meta charset="utf-8">
<title>Event Sourcing &amp; CQRS in Go · cheat sheet</title>
<style>
@page { size: A4 portrait; margin: 8mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font: 7.4pt/1.26 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; }
@media screen { body { width: 194mm; margin: 8mm auto; } }
h1 { font-size: 13pt; margin: 0 0 1mm; color: #0b3d73; }
h1 + p { margin: 0 0 2mm; }
.band { display: grid; grid-template-columns: 1fr 1fr; column-gap: 5mm; }
section { margin: 0 0 2.2mm; break-inside: avoid; }
h2 { font-size: 9pt; margin: 0 0 0.8mm; padding: 0.4mm 1.2mm; background: #0b3d73; color: #fff; }
p { margin: 0.8mm 0; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 6.8pt; color: #555; border-bottom: 0.3mm solid #0b3d73; padding: 0.2mm 0.8mm; }
td { vertical-align: top; border-bottom: 0.2mm solid #ddd; padding: 0.3mm 0.8mm; }
td:first-child { white-space: nowrap; }
code { font: 6.9pt "DejaVu Sans Mono", Menlo, Consolas, monospace; color: #0b3d73; }
td:first-child code { font-weight: bold; }
</style>
</head>
<body>
` + body.String() + `</body>
</html>
`
}

// tableCells splits a Markdown table row; a | inside `code` stays in its cell.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var cell strings.Builder
	inCode := false
	for _, r := range row {
		switch {
		case r == '`':
			inCode = !inCode
		case r == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
			continue
		}
		cell.WriteRune(r)
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

// inline escapes text and sets `code` and **bold**.
func inline(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString("<code>" + html.EscapeString(part) + "</code>")
			continue
		}
		bold := strings.Split(html.EscapeString(part), "**")
		for j, p := range bold {
			if j%2 == 1 && j < len(bold)-1 {
				p = "<strong>" + p + "</strong>"
			}
			b.WriteString(p)
		}
	}
	return b.String()
}
