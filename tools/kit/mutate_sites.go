package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"strings"
	"time"
)

// A site is one place in a solution file where the mutation tester makes mutants:
// its alternatives are mutants id, id+1, ... and build writes the switch that
// selects among them (see internal/mutant).
type site struct {
	start, end int // byte offsets of the code the switch replaces (equal: an insertion)
	layer      int // among sites over the same code, lower layers wrap higher ones
	alts       []mutantInfo
	build      func(ids int, r render) string
}

// render returns the source from start to end with the switches of the sites inside.
type render func(start, end int) string

// mutantInfo describes one mutant for the report and the known-equivalent list.
type mutantInfo struct {
	ID       int
	File     string // stage-relative: "account_aggregate.go"
	Line     int
	Func     string // enclosing function: "Account.Withdraw"
	Change   string // what the mutant changes: "a.balance-amount < -a.overdraftLimit: < → <="
	Key      string // stable across edits elsewhere: file|func|change|occurrence
	Tests    []string
	Killed   bool
	Reason   string // why it counts as killed (the failing test) or as survived
	Equivant string // the reason from the known-equivalent list, if listed
	Took     time.Duration
}

// siteFinder walks one file and collects its sites.
type siteFinder struct {
	fset  *token.FileSet
	info  *types.Info
	pkg   *types.Package
	file  *ast.File
	src   []byte
	name  string // stage-relative file name
	sites []site
	fn    string            // enclosing function, for the report
	fixed map[ast.Stmt]bool // statements Go does not let us wrap (a for's post, an if's init...)
}

const mutantImport = "kitmutant"

// text is the source of a node.
func (f *siteFinder) text(n ast.Node) string {
	return string(f.src[f.off(n.Pos()):f.off(n.End())])
}

func (f *siteFinder) off(p token.Pos) int { return f.fset.Position(p).Offset }

// add records a site over node n with one alternative per change.
func (f *siteFinder) add(n ast.Node, layer int, changes []string, build func(int, render) string) {
	f.addAt(f.off(n.Pos()), f.off(n.End()), n.Pos(), layer, changes, build)
}

func (f *siteFinder) addAt(start, end int, pos token.Pos, layer int, changes []string, build func(int, render) string) {
	s := site{start: start, end: end, layer: layer, build: build}
	for _, c := range changes {
		s.alts = append(s.alts, mutantInfo{File: f.name, Line: f.fset.Position(pos).Line, Func: f.fn, Change: c})
	}
	f.sites = append(f.sites, s)
}

// typeName is how this file can write the type of e, or "" when it cannot.
func (f *siteFinder) typeName(e ast.Expr) string {
	t := f.info.TypeOf(e)
	if t == nil {
		return ""
	}
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return "" // an untyped constant: its type is decided by its use
	}
	ok := true
	name := types.TypeString(t, func(p *types.Package) string {
		if p == f.pkg {
			return ""
		}
		for _, imp := range f.file.Imports {
			if strings.Trim(imp.Path.Value, `"`) == p.Path() {
				if imp.Name != nil {
					return imp.Name.Name
				}
				return p.Name()
			}
		}
		ok = false
		return p.Name()
	})
	if !ok {
		return ""
	}
	return name
}

// isConst reports whether e is a constant expression (never mutated: it may sit
// where Go needs a constant).
func (f *siteFinder) isConst(e ast.Expr) bool {
	tv, ok := f.info.Types[e]
	return ok && tv.Value != nil
}

// walkFunc collects the sites of one function body.
func (f *siteFinder) walkFunc(name string, ftype *ast.FuncType, body *ast.BlockStmt) {
	if body == nil || isMethodNamed(name, "Error") || isMethodNamed(name, "String") {
		return // message text: tests check what an error is, not its wording
	}
	outer := f.fn
	f.fn = name
	defer func() { f.fn = outer }()
	f.earlyReturn(ftype, body)
	ast.Inspect(body, func(n ast.Node) bool {
		f.markFixed(n)
		switch n := n.(type) {
		case *ast.FuncLit:
			f.walkFunc(name+".func", n.Type, n.Body)
			return false
		case *ast.GenDecl:
			return n.Tok != token.CONST
		case *ast.BinaryExpr:
			f.binary(n)
		case *ast.UnaryExpr:
			f.unary(n)
		case *ast.IfStmt:
			f.condition(n.Cond, "if")
		case *ast.SwitchStmt:
			if n.Tag == nil {
				for _, c := range n.Body.List {
					for _, e := range c.(*ast.CaseClause).List {
						f.condition(e, "case")
					}
				}
			}
		case *ast.ExprStmt, *ast.AssignStmt, *ast.IncDecStmt, *ast.DeferStmt, *ast.SendStmt:
			f.statement(n.(ast.Stmt))
		case *ast.CallExpr:
			if isMessage(n) {
				return false // the arguments of a message: wording, not behaviour
			}
			f.call(n)
		case *ast.BasicLit:
			f.sql(n)
		}
		return true
	})
}

// markFixed notes the statements inside n's header, which cannot become an if.
func (f *siteFinder) markFixed(n ast.Node) {
	if f.fixed == nil {
		f.fixed = map[ast.Stmt]bool{}
	}
	switch n := n.(type) {
	case *ast.ForStmt:
		f.fixed[n.Init], f.fixed[n.Post] = true, true
	case *ast.IfStmt:
		f.fixed[n.Init] = true
	case *ast.SwitchStmt:
		f.fixed[n.Init] = true
	case *ast.TypeSwitchStmt:
		f.fixed[n.Init], f.fixed[n.Assign] = true, true
	case *ast.CommClause:
		f.fixed[n.Comm] = true
	case *ast.LabeledStmt:
		f.fixed[n.Stmt] = true
	}
}

// earlyReturn: a function whose last result is an error returns at once, with
// zero values and no error, as if it had done its work.
func (f *siteFinder) earlyReturn(ftype *ast.FuncType, body *ast.BlockStmt) {
	res := ftype.Results
	if res == nil || len(res.List) == 0 {
		return
	}
	last := res.List[len(res.List)-1].Type
	if id, ok := last.(*ast.Ident); !ok || id.Name != "error" {
		return
	}
	var zeros []string
	for _, field := range res.List {
		for range max(len(field.Names), 1) {
			zeros = append(zeros, "*new("+f.text(field.Type)+")")
		}
	}
	zeros[len(zeros)-1] = "nil"
	at := f.off(body.Lbrace) + 1
	f.addAt(at, at, body.Lbrace, 0, []string{"returns at once with no error"}, func(id int, _ render) string {
		return fmt.Sprintf(" if %s.On(%d) { return %s };", mutantImport, id, strings.Join(zeros, ", "))
	})
}

// flips are the comparison mutants: the boundary moved, and the test negated.
var flips = map[token.Token][]token.Token{
	token.LSS: {token.LEQ, token.GEQ}, token.LEQ: {token.LSS, token.GTR},
	token.GTR: {token.GEQ, token.LEQ}, token.GEQ: {token.GTR, token.LSS},
	token.EQL: {token.NEQ}, token.NEQ: {token.EQL},
	token.LAND: {token.LOR}, token.LOR: {token.LAND},
}

// arithmetic are the operator swaps on numbers.
var arithmetic = map[token.Token]token.Token{token.ADD: token.SUB, token.SUB: token.ADD}

func (f *siteFinder) binary(n *ast.BinaryExpr) {
	if f.isConst(n) {
		return
	}
	var alts []token.Token
	typ := "bool"
	if to, ok := flips[n.Op]; ok {
		alts = to
	} else if to, ok := arithmetic[n.Op]; ok && isNumber(f.info.TypeOf(n)) {
		alts, typ = []token.Token{to}, f.typeName(n)
	}
	if len(alts) == 0 || typ == "" {
		return
	}
	changes := make([]string, len(alts))
	for i, op := range alts {
		changes[i] = fmt.Sprintf("%s: %s → %s", oneLine(f.text(n)), n.Op, op)
	}
	x, y := n.X, n.Y
	f.add(n, 1, changes, func(id int, r render) string {
		l, rr := r(f.off(x.Pos()), f.off(x.End())), r(f.off(y.Pos()), f.off(y.End()))
		closures := []string{fmt.Sprintf("func() %s { return (%s) %s (%s) }", typ, l, n.Op, rr)}
		for _, op := range alts {
			closures = append(closures, fmt.Sprintf("func() %s { return (%s) %s (%s) }", typ, l, op, rr))
		}
		return fmt.Sprintf("%s.Val(%d, %s)", mutantImport, id, strings.Join(closures, ", "))
	})
}

func isNumber(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsInteger|types.IsFloat) != 0
}

// unary: a negation dropped.
func (f *siteFinder) unary(n *ast.UnaryExpr) {
	if n.Op != token.NOT || f.isConst(n) {
		return
	}
	x := n.X
	f.add(n, 1, []string{oneLine(f.text(n)) + ": ! dropped"}, func(id int, r render) string {
		inner := r(f.off(x.Pos()), f.off(x.End()))
		return fmt.Sprintf("%s.Bool(%d, func() bool { return !(%s) }, func() bool { return (%s) })", mutantImport, id, inner, inner)
	})
}

// condition: the guard of an if or a case always true, or never.
func (f *siteFinder) condition(e ast.Expr, kind string) {
	if f.isConst(e) {
		return
	}
	what := oneLine(f.text(e))
	f.add(e, 0, []string{kind + " " + what + ": always true", kind + " " + what + ": always false"}, func(id int, r render) string {
		inner := r(f.off(e.Pos()), f.off(e.End()))
		return fmt.Sprintf("%s.Bool(%d, func() bool { return %s }, func() bool { return true }, func() bool { return false })", mutantImport, id, inner)
	})
}

// statement: the statement left out (and x++ / += turned round).
func (f *siteFinder) statement(s ast.Stmt) {
	if f.fixed[s] || skipStatement(s) {
		return
	}
	what := oneLine(f.text(s))
	f.add(s, 0, []string{what + ": left out"}, func(id int, r render) string {
		return fmt.Sprintf("if !%s.On(%d) { %s }", mutantImport, id, r(f.off(s.Pos()), f.off(s.End())))
	})
	switch s := s.(type) {
	case *ast.IncDecStmt:
		other := map[token.Token]token.Token{token.INC: token.DEC, token.DEC: token.INC}[s.Tok]
		x := s.X
		f.add(s, 1, []string{fmt.Sprintf("%s: %s → %s", what, s.Tok, other)}, func(id int, r render) string {
			xs := r(f.off(x.Pos()), f.off(x.End()))
			return fmt.Sprintf("if %s.On(%d) { %s%s } else { %s%s }", mutantImport, id, xs, other, xs, s.Tok)
		})
	case *ast.AssignStmt:
		other, ok := map[token.Token]token.Token{token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN}[s.Tok]
		if !ok || len(s.Lhs) != 1 || !isNumber(f.info.TypeOf(s.Lhs[0])) {
			return
		}
		lhs, rhs := s.Lhs[0], s.Rhs[0]
		f.add(s, 1, []string{fmt.Sprintf("%s: %s → %s", what, s.Tok, other)}, func(id int, r render) string {
			l, rr := r(f.off(lhs.Pos()), f.off(lhs.End())), r(f.off(rhs.Pos()), f.off(rhs.End()))
			return fmt.Sprintf("if %s.On(%d) { %s %s %s } else { %s %s %s }", mutantImport, id, l, other, rr, l, s.Tok, rr)
		})
	}
}

// skipStatement leaves out statements whose removal no behaviour can show or that
// Go would not compile: declarations (:=), panics, logging, Close and deferred
// Stop (resource release: a leak, not a wrong answer), and Unlock: without it the
// next Lock waits forever, so every test that gets there hangs, and the run would
// spend each such mutant's whole time budget to learn that.
func skipStatement(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.AssignStmt:
		return s.Tok == token.DEFINE || allBlank(s.Lhs)
	case *ast.ExprStmt:
		call, ok := s.X.(*ast.CallExpr)
		return ok && (isCallTo(call, "panic") || isLogging(call) || isCallTo(call, "Close") || isCallTo(call, "Unlock"))
	case *ast.DeferStmt:
		return isCallTo(s.Call, "Close") || isCallTo(s.Call, "Stop") || isCallTo(s.Call, "cancel") || isCallTo(s.Call, "Unlock")
	}
	return false
}

func allBlank(exprs []ast.Expr) bool {
	for _, e := range exprs {
		if id, ok := e.(*ast.Ident); !ok || id.Name != "_" {
			return false
		}
	}
	return true
}

func isCallTo(call *ast.CallExpr, name string) bool {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name == name
	case *ast.SelectorExpr:
		return fn.Sel.Name == name
	}
	return false
}

// isLogging: fmt.Print*, log.*, slog.* and a logger's methods.
func isLogging(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "log" || pkg.Name == "slog" ||
		pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Print")) {
		return true
	}
	switch sel.Sel.Name {
	case "Info", "Warn", "Error", "Debug", "Printf", "Println", "Logf":
		return true
	}
	return false
}

// isMessage: a call that only builds the text of an error or a message.
func isMessage(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "fmt" && (sel.Sel.Name == "Errorf" || sel.Sel.Name == "Sprintf") ||
		pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "web" && sel.Sel.Name == "Problemf")
}

// call: x.UTC() left as x (the time zone of recorded times).
func (f *siteFinder) call(n *ast.CallExpr) {
	sel, ok := n.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "UTC" || len(n.Args) != 0 {
		return
	}
	typ := f.typeName(n)
	if typ == "" {
		return
	}
	x := sel.X
	f.add(n, 1, []string{oneLine(f.text(n)) + ": .UTC() left out"}, func(id int, r render) string {
		xs := r(f.off(x.Pos()), f.off(x.End()))
		return fmt.Sprintf("%s.Val(%d, func() %s { return (%s).UTC() }, func() %s { return (%s) })", mutantImport, id, typ, xs, typ, xs)
	})
}

var (
	sqlWords     = regexp.MustCompile(`(?i)\b(SELECT|INSERT|UPDATE|DELETE)\b`)
	sqlOrderBy   = regexp.MustCompile(`(?i)ORDER BY ([a-z_.]+)( ASC)?`)
	sqlCompare   = regexp.MustCompile(`(\S+)\s(>=|<=|>|<)\s(\S+)`)
	sqlAnd       = regexp.MustCompile(`(\S+)\s(AND)\s(\S+)`)
	sqlPlusMinus = regexp.MustCompile(`(\S+)\s([-+])\s(\S+)`)
)

// sqlSwaps replaces the operator (group 2) of a match of each pattern.
var sqlSwaps = []struct {
	re *regexp.Regexp
	to map[string]string
}{
	{sqlCompare, map[string]string{">": ">=", ">=": ">", "<": "<=", "<=": "<"}},
	{sqlAnd, map[string]string{"AND": "OR"}},
	{sqlPlusMinus, map[string]string{"+": "-", "-": "+"}},
}

// sql: a query's ordering reversed, a comparison's boundary moved, AND made OR,
// + and - swapped. A mutant is named by its words: SQL "a > ?" → "a >= ?".
func (f *siteFinder) sql(n *ast.BasicLit) {
	if n.Kind != token.STRING || !sqlWords.MatchString(n.Value) {
		return
	}
	lit := n.Value
	var changes, values []string
	for _, m := range sqlOrderBy.FindAllStringSubmatchIndex(lit, -1) {
		changes = append(changes, "SQL ORDER BY "+lit[m[2]:m[3]]+" → DESC")
		values = append(values, lit[:m[0]]+"ORDER BY "+lit[m[2]:m[3]]+" DESC"+lit[m[1]:])
	}
	for _, swap := range sqlSwaps {
		for _, m := range swap.re.FindAllStringSubmatchIndex(lit, -1) {
			left, op, right := lit[m[2]:m[3]], lit[m[4]:m[5]], lit[m[6]:m[7]]
			changes = append(changes, fmt.Sprintf("SQL %q → %q", left+" "+op+" "+right, left+" "+swap.to[op]+" "+right))
			values = append(values, lit[:m[4]]+swap.to[op]+lit[m[5]:])
		}
	}
	if len(changes) == 0 {
		return
	}
	f.add(n, 1, changes, func(id int, _ render) string {
		return fmt.Sprintf("%s.Str(%d, %s, %s)", mutantImport, id, lit, strings.Join(values, ", "))
	})
}

// oneLine squeezes code onto one short line for the report.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 90 {
		s = s[:87] + "..."
	}
	return s
}

// isMethodNamed: "StaleVersionError.Error" is the method Error.
func isMethodNamed(fn, method string) bool {
	return fn == method || strings.HasSuffix(fn, "."+method)
}
