package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Code on slides is never pasted. A fence names what it shows:
//
//	```go embed=solutions/02-events/eventstore_append.go#EventStore.Append
//	...kept equal to that declaration by `make gen` / checked by `make test`...
//	```
//
// After # comes a function, a method (Type.Method), a type, or a const/var name.
// The declaration is shown without its doc comment and without exercise markers.
// GitHub and Marp both take only the first word of the fence ("go") as the language.

var fenceOpen = regexp.MustCompile("^```go embed=([^#\\s]+)#(\\S+)\\s*$")

// maxSlideCodeLines keeps embedded code readable from the back of a room.
const maxSlideCodeLines = 24

func runEmbed(args []string) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	check := fs.Bool("check", false, "only check; fail if a slide is stale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	decks, _ := filepath.Glob(filepath.Join("slides", "*.md"))
	var problems []string
	embeds := 0
	for _, deck := range decks {
		n, p, err := embedDeck(deck, *check)
		if err != nil {
			return err
		}
		embeds += n
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s) with slide code:\n  %s\n(run `go run ./tools/kit embed` to refresh stale embeds)", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Printf("slides: %d embedded code blocks in %d decks are current\n", embeds, len(decks))
	return nil
}

// embedDeck refreshes (or checks) every embed in one deck.
func embedDeck(deck string, checkOnly bool) (int, []string, error) {
	data, err := os.ReadFile(deck)
	if err != nil {
		return 0, nil, err
	}
	lines := strings.Split(string(data), "\n")
	var out, problems []string
	count := 0
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		m := fenceOpen.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		count++
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		if end == len(lines) {
			return 0, nil, fmt.Errorf("%s:%d: code fence never closed", deck, i+1)
		}
		code, err := extractDecl(m[1], m[2])
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", deck, i+1, err))
			out = append(out, lines[i+1:end]...)
		} else {
			if strings.Join(lines[i+1:end], "\n") != code {
				problems = append(problems, fmt.Sprintf("%s:%d: stale embed of %s#%s", deck, i+1, m[1], m[2]))
			}
			if n := strings.Count(code, "\n") + 1; n > maxSlideCodeLines {
				problems = append(problems, fmt.Sprintf("%s:%d: %s#%s is %d lines; a slide holds %d at most (split the function, or embed a smaller one)", deck, i+1, m[1], m[2], n, maxSlideCodeLines))
			}
			out = append(out, strings.Split(code, "\n")...)
		}
		out = append(out, lines[end])
		i = end
	}
	if checkOnly {
		return count, problems, nil
	}
	// Writing refreshes stale embeds; every other problem remains.
	remaining := slices.DeleteFunc(problems, func(p string) bool { return strings.Contains(p, "stale embed") })
	refreshed := strings.Join(out, "\n")
	if refreshed == string(data) {
		return count, remaining, nil
	}
	return count, remaining, os.WriteFile(deck, []byte(refreshed), 0o644)
}

// extractDecl returns the source of one named declaration in a Go file.
func extractDecl(file, name string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	for _, decl := range f.Decls {
		start, end, ok := declSpan(decl, name)
		if ok {
			text := string(src[fset.Position(start).Offset:fset.Position(end).Offset])
			return stripMarkers(text), nil
		}
	}
	return "", fmt.Errorf("%s has no declaration %s", file, name)
}

// declSpan finds name in decl, returning where its source starts and ends (doc comment excluded).
func declSpan(decl ast.Decl, name string) (token.Pos, token.Pos, bool) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		full := d.Name.Name
		if d.Recv != nil && len(d.Recv.List) == 1 {
			full = receiverType(d.Recv.List[0].Type) + "." + full
		}
		return d.Type.Pos(), d.End(), full == name
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if s.Name.Name == name {
					return d.TokPos, d.End(), true
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.Name == name {
						return d.TokPos, d.End(), true
					}
				}
			}
		}
	}
	return 0, 0, false
}

func receiverType(expr ast.Expr) string {
	switch t := expr.(type) {
	case *ast.StarExpr:
		return receiverType(t.X)
	case *ast.IndexExpr:
		return receiverType(t.X)
	case *ast.IndexListExpr:
		return receiverType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// stripMarkers drops //exercise: lines, which are for the generator, not the audience.
func stripMarkers(code string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(code, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "//exercise:") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
