package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// Exercise markers in solution code:
//
//	//exercise:begin 3.2 One line that says what to do.
//	// Comment lines right after begin are kept in the starter as guidance.
//	...the solution code, cut from the starter...
//	//exercise:stub return Account{}, exercise.Todo("3.2")
//	//exercise:end
//
// In stage 3's starter the region becomes a TODO(3.2) comment, the guidance and
// the stub. In every other stage the markers go and the code stays.
const (
	markBegin = "//exercise:begin "
	markStub  = "//exercise:stub "
	markEnd   = "//exercise:end"
)

var taskID = regexp.MustCompile(`^(\d+)\.(\d+)$`)

// region is one marked exercise while it is being read.
type region struct {
	task     string
	summary  string
	indent   string
	line     int
	guidance []string // comment lines right after begin
	code     []string
	stubs    []string
	inHead   bool // still reading guidance
}

// cutResult is what cutting one file produced.
type cutResult struct {
	Text  []byte
	Tasks []string // tasks cut from this file, in order
	All   []string // every task marked in this file
}

// cutExercises rewrites one Go solution file for stage number stageNum: regions of
// that stage's tasks become stubs, other regions lose only their markers, and imports
// of solutions/ point at stages/.
func cutExercises(name string, src []byte, stageNum int) (cutResult, error) {
	return cutTasks(name, src, func(task string) bool { return taskStage(task) == stageNum })
}

// cutTasks is cutExercises for the tasks that cut selects: their regions become
// stubs, every other region loses only its markers.
func cutTasks(name string, src []byte, cut func(task string) bool) (cutResult, error) {
	var out []string
	var res cutResult
	var cur *region
	for i, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, markBegin):
			if cur != nil {
				return res, fmt.Errorf("%s:%d: exercise %s begins inside exercise %s", name, i+1, trimmed, cur.task)
			}
			fields := strings.SplitN(strings.TrimPrefix(trimmed, markBegin), " ", 2)
			if !taskID.MatchString(fields[0]) || len(fields) < 2 {
				return res, fmt.Errorf("%s:%d: want %q", name, i+1, markBegin+"N.k what to do")
			}
			cur = &region{task: fields[0], summary: fields[1], indent: line[:len(line)-len(strings.TrimLeft(line, " \t"))], line: i + 1, inHead: true}
		case cur == nil && (strings.HasPrefix(trimmed, markStub) || trimmed == markEnd):
			return res, fmt.Errorf("%s:%d: %s outside an exercise", name, i+1, trimmed)
		case cur == nil:
			out = append(out, line)
		case strings.HasPrefix(trimmed, markStub):
			cur.stubs = append(cur.stubs, strings.TrimPrefix(trimmed, markStub))
			cur.inHead = false
		case trimmed == markEnd:
			if len(cur.stubs) == 0 {
				return res, fmt.Errorf("%s:%d: exercise %s has no %q line", name, cur.line, cur.task, markStub)
			}
			res.All = append(res.All, cur.task)
			if cut(cur.task) {
				res.Tasks = append(res.Tasks, cur.task)
				out = append(out, cur.starterLines()...)
			} else {
				out = append(out, cur.guidance...)
				out = append(out, cur.code...)
			}
			cur = nil
		case cur.inHead && strings.HasPrefix(trimmed, "//"):
			cur.guidance = append(cur.guidance, line)
		default:
			cur.inHead = false
			cur.code = append(cur.code, line)
		}
	}
	if cur != nil {
		return res, fmt.Errorf("%s:%d: exercise %s has no %s", name, cur.line, cur.task, markEnd)
	}
	text := strings.Join(out, "\n")
	text = strings.ReplaceAll(text, modulePath+"/solutions/", modulePath+"/stages/")
	formatted, err := tidyImports(name, src, []byte(text), len(res.Tasks) > 0)
	res.Text = formatted
	return res, err
}

// starterLines is what the learner sees in place of the solution.
func (r *region) starterLines() []string {
	lines := wrapComment(r.indent, "// TODO("+r.task+"): ", "//   ", r.summary)
	lines = append(lines, r.guidance...)
	for _, stub := range r.stubs {
		lines = append(lines, r.indent+stub)
	}
	return lines
}

// commentWidth is where wrapComment breaks a long TODO summary.
const commentWidth = 90

// wrapComment breaks text into comment lines of at most commentWidth columns
// (tabs counted as 4), the first starting with first and the rest with rest.
func wrapComment(indent, first, rest, text string) []string {
	width := commentWidth - 4*strings.Count(indent, "\t") - len(strings.ReplaceAll(indent, "\t", ""))
	var lines []string
	line := first
	for _, word := range strings.Fields(text) {
		if len(line)+len(word) > width && strings.TrimSpace(line) != strings.TrimSpace(first) && line != rest {
			lines = append(lines, indent+strings.TrimRight(line, " "))
			line = rest
		}
		line += word + " "
	}
	return append(lines, indent+strings.TrimRight(line, " "))
}

func taskStage(task string) int {
	n, _ := strconv.Atoi(strings.SplitN(task, ".", 2)[0])
	return n
}

// tidyImports gofmts the file; when code was cut it also imports the exercise
// package the stubs use and drops imports only the cut code used. An import is
// dropped only when its name was in use in the solution and is not any more, so
// a package whose name cannot be guessed from its path is always kept.
func tidyImports(name string, original, src []byte, cut bool) ([]byte, error) {
	if !cut {
		out, err := format.Source(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return out, nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s after cutting: %w", name, err)
	}
	before, err := parser.ParseFile(token.NewFileSet(), name, original, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	usedBefore := usedPackageNames(before)
	used := usedPackageNames(f)
	if used["exercise"] {
		astutil.AddImport(fset, f, modulePath+"/internal/exercise")
	}
	var unused []*ast.ImportSpec
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		local := importName(imp, path)
		if local != "_" && local != "." && usedBefore[local] && !used[local] {
			unused = append(unused, imp)
		}
	}
	for _, imp := range unused {
		path, _ := strconv.Unquote(imp.Path.Value)
		astutil.DeleteNamedImport(fset, f, nameOf(imp), path)
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, fmt.Errorf("%s after cutting: %w", name, err)
	}
	return format.Source(ownGroup(buf.Bytes(), modulePath+"/internal/exercise"))
}

// ownGroup moves the import of path out of a group of standard-library imports
// into a group of its own at the end of the block, as goimports would write it:
// astutil.AddImport adds it to the group it finds, the standard library's when
// the file imports nothing else.
func ownGroup(src []byte, path string) []byte {
	lines := strings.Split(string(src), "\n")
	at, end := -1, -1
	for i, line := range lines {
		if strings.TrimSpace(line) == strconv.Quote(path) {
			at = i
		}
		if at >= 0 && line == ")" {
			end = i
			break
		}
	}
	if at < 0 || end < 0 {
		return src
	}
	isStd := func(line string) bool {
		p, err := strconv.Unquote(strings.TrimSpace(line))
		return err == nil && !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
	}
	if !isStd(lines[at-1]) && !isStd(lines[at+1]) {
		return src // it has non-standard neighbours already
	}
	moved := lines[at]
	lines = append(lines[:at], lines[at+1:]...)
	end--
	group := []string{"", moved}
	if lines[end-1] == "" || !isStd(lines[end-1]) {
		group = group[1:] // the block ends with a non-standard group: join it
	}
	lines = append(lines[:end], append(group, lines[end:]...)...)
	return []byte(strings.Join(lines, "\n"))
}

// usedPackageNames collects X in every X.Sel of the file: the package names in use.
func usedPackageNames(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// majorVersion matches the /v2, /v3... element that ends a versioned module path.
var majorVersion = regexp.MustCompile(`^v\d+$`)

// importName is the name an import is used by: its explicit name, or the last
// element of its path without a major-version suffix or a "go-" prefix.
func importName(imp *ast.ImportSpec, path string) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if majorVersion.MatchString(last) && len(parts) > 1 {
		last = parts[len(parts)-2]
	}
	return strings.TrimPrefix(last, "go-")
}

func nameOf(imp *ast.ImportSpec) string {
	if imp.Name == nil {
		return ""
	}
	return imp.Name.Name
}
