package main

import (
	"fmt"
	"go/ast"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// schemata is a stage's solution rewritten with every mutant behind its switch.
type schemata struct {
	Files   map[string][]byte // stage-relative file name -> rewritten source
	Mutants []mutantInfo      // by id: Mutants[i].ID == i+1
}

// mutatedFiles are the files of a stage that mutation testing leaves alone:
// stage.go only describes the stage (title, features) for GET /stage.
var unmutatedFiles = map[string]bool{"stage.go": true}

// buildSchemata loads the solution package of stage s with its types and rewrites
// each file.
func buildSchemata(s stage) (schemata, error) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
		packages.NeedTypes | packages.NeedTypesInfo}
	pkgs, err := packages.Load(cfg, "./"+filepath.ToSlash(s.SolutionDir()))
	if err != nil {
		return schemata{}, err
	}
	if len(pkgs) != 1 || len(pkgs[0].Errors) > 0 || pkgs[0].Types == nil {
		return schemata{}, fmt.Errorf("loading %s with its types: %d packages %v", s.SolutionDir(), len(pkgs), packageErrors(pkgs))
	}
	pkg := pkgs[0]
	out := schemata{Files: map[string][]byte{}}
	next := 1
	for _, file := range pkg.Syntax {
		path := pkg.Fset.File(file.Pos()).Name()
		name := filepath.Base(path)
		if unmutatedFiles[name] || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return schemata{}, err
		}
		f := &siteFinder{fset: pkg.Fset, info: pkg.TypesInfo, pkg: pkg.Types, file: file, src: src, name: name}
		f.walkFile()
		if len(f.sites) == 0 {
			continue
		}
		sortSites(f.sites)
		ids := make([]int, len(f.sites))
		for j := range f.sites {
			ids[j] = next
			for k := range f.sites[j].alts {
				m := f.sites[j].alts[k]
				m.ID = next
				out.Mutants = append(out.Mutants, m)
				next++
			}
		}
		text, err := rewriteFile(f, ids)
		if err != nil {
			return schemata{}, fmt.Errorf("%s: %w", name, err)
		}
		out.Files[name] = text
	}
	setKeys(out.Mutants)
	return out, nil
}

// walkFile collects the sites of every function of the file.
func (f *siteFinder) walkFile() {
	for _, d := range f.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) > 0 {
			name = strings.TrimLeft(f.text(fd.Recv.List[0].Type), "*") + "." + name
		}
		f.walkFunc(name, fd.Type, fd.Body)
	}
}

// sortSites orders sites so that a site comes before the sites inside it.
func sortSites(sites []site) {
	sort.SliceStable(sites, func(i, j int) bool {
		a, b := sites[i], sites[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end > b.end
		}
		return a.layer < b.layer
	})
}

// rewriteFile writes the file's source with every site replaced by its switch,
// and the import of the switchboard.
func rewriteFile(f *siteFinder, ids []int) ([]byte, error) {
	var renderFrom func(after int) render
	renderFrom = func(after int) render {
		return func(start, end int) string {
			var b strings.Builder
			pos := start
			for j := after + 1; j < len(f.sites); {
				s := f.sites[j]
				if s.start >= end {
					break
				}
				if s.start < pos || s.end > end {
					j++ // not inside this range
					continue
				}
				b.Write(f.src[pos:s.start])
				b.WriteString(s.build(ids[j], renderFrom(j)))
				pos = s.end
				for j++; j < len(f.sites) && f.sites[j].start < s.end; j++ {
					// inside s: its build rendered them
				}
			}
			b.Write(f.src[pos:end])
			return b.String()
		}
	}
	text := renderFrom(-1)(0, len(f.src))
	pkgEnd := f.off(f.file.Name.End())
	text = text[:pkgEnd] + "\n\nimport " + mutantImport + ` "` + modulePath + `/internal/mutant"` + text[pkgEnd:]
	out, err := format.Source([]byte(text))
	if err != nil {
		return []byte(text), fmt.Errorf("the rewritten file does not parse: %w", err)
	}
	return out, nil
}

// setKeys gives each mutant a key that survives edits elsewhere in its file:
// file, function, change, and which occurrence of that change it is.
func setKeys(ms []mutantInfo) {
	seen := map[string]int{}
	for i := range ms {
		base := ms[i].File + " | " + ms[i].Func + " | " + ms[i].Change
		seen[base]++
		ms[i].Key = base
		if n := seen[base]; n > 1 {
			ms[i].Key += fmt.Sprintf(" | #%d", n)
		}
	}
}

func packageErrors(pkgs []*packages.Package) []packages.Error {
	var out []packages.Error
	for _, p := range pkgs {
		out = append(out, p.Errors...)
	}
	return out
}
