package main

import (
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bankSolution has one region of stage 3 and one of stage 2. The stage-3 region is the
// only user of "errors"; "strings" is used only by the stage-2 region; the module's
// own import points at solutions/.
const bankSolution = `package bank

import (
	"errors"
	"strings"

	"github.com/go-es-workshop/kit/solutions/03-aggregates/money"
)

// Deposit checks an amount.
func Deposit(a money.Cents) (money.Cents, error) {
	//exercise:begin 3.2 Refuse amounts that are not positive.
	// An amount of zero is a mistake too.
	// Return an error that says so.
	if a <= 0 {
		return 0, errors.New("amount must be positive")
	}
	return a, nil
	//exercise:stub return 0, exercise.Todo("3.2")
	//exercise:end
}

// Name shouts.
func Name(s string) string {
	//exercise:begin 2.1 Upper-case the name.
	// strings has a function for it.
	return strings.ToUpper(s)
	//exercise:stub return ""
	//exercise:end
}
`

func TestCutExercisesStubsTheStagesOwnTask(t *testing.T) {
	res, err := cutExercises("bank.go", []byte(bankSolution), 3)
	require.NoError(t, err)

	want := `package bank

import (
	"strings"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/stages/03-aggregates/money"
)

// Deposit checks an amount.
func Deposit(a money.Cents) (money.Cents, error) {
	// TODO(3.2): Refuse amounts that are not positive.
	// An amount of zero is a mistake too.
	// Return an error that says so.
	return 0, exercise.Todo("3.2")
}

// Name shouts.
func Name(s string) string {
	// strings has a function for it.
	return strings.ToUpper(s)
}
`
	require.Equal(t, want, string(res.Text))
	require.Equal(t, []string{"3.2"}, res.Tasks)
	require.Equal(t, []string{"3.2", "2.1"}, res.All)
	requireGofmted(t, res.Text)
}

func TestCutExercisesKeepsOtherStagesCodeAndDropsOnlyMarkers(t *testing.T) {
	res, err := cutExercises("bank.go", []byte(bankSolution), 4)
	require.NoError(t, err)

	want := `package bank

import (
	"errors"
	"strings"

	"github.com/go-es-workshop/kit/stages/03-aggregates/money"
)

// Deposit checks an amount.
func Deposit(a money.Cents) (money.Cents, error) {
	// An amount of zero is a mistake too.
	// Return an error that says so.
	if a <= 0 {
		return 0, errors.New("amount must be positive")
	}
	return a, nil
}

// Name shouts.
func Name(s string) string {
	// strings has a function for it.
	return strings.ToUpper(s)
}
`
	require.Equal(t, want, string(res.Text))
	require.Empty(t, res.Tasks)
	require.Equal(t, []string{"3.2", "2.1"}, res.All)
	require.NotContains(t, string(res.Text), "exercise")
	requireGofmted(t, res.Text)
}

func TestCutTasksCutsOnlyTheTasksItIsGiven(t *testing.T) {
	// verify cuts only a stage's stretch tasks, to prove that the stage works without them.
	res, err := cutTasks("bank.go", []byte(bankSolution), func(task string) bool { return task == "2.1" })
	require.NoError(t, err)
	require.Equal(t, []string{"2.1"}, res.Tasks)
	require.Contains(t, string(res.Text), `return 0, errors.New("amount must be positive")`, "3.2 stays solved")
	require.Contains(t, string(res.Text), "// TODO(2.1): Upper-case the name.")
	requireGofmted(t, res.Text)
}

func TestCutExercisesDropsTheExerciseImportWhenNoStubUsesIt(t *testing.T) {
	// Stage 2's stub is `return ""`: the exercise package must not be imported (an
	// unused import would not compile), and "strings" is now unused too.
	res, err := cutExercises("bank.go", []byte(bankSolution), 2)
	require.NoError(t, err)
	require.Equal(t, []string{"2.1"}, res.Tasks)

	imports := importPaths(t, res.Text)
	require.Equal(t, []string{"errors", "github.com/go-es-workshop/kit/stages/03-aggregates/money"}, imports)
	require.Contains(t, string(res.Text), "\t// TODO(2.1): Upper-case the name.\n\t// strings has a function for it.\n\treturn \"\"\n}")
	requireGofmted(t, res.Text)
}

func TestCutExercisesIndentsAndFormatsTheStarter(t *testing.T) {
	// Badly formatted solution code and a top-level region: the output is gofmt'd anyway.
	src := "package p\n\n" +
		"//exercise:begin 5.1 Write Sum.\n" +
		"func Sum(xs []int) int { t:=0\n for _,x:=range xs {t+=x}\n return t }\n" +
		"//exercise:stub func Sum(xs []int) int { _ = exercise.Todo(\"5.1\"); return 0 }\n" +
		"//exercise:end\n"
	res, err := cutExercises("sum.go", []byte(src), 5)
	require.NoError(t, err)
	requireGofmted(t, res.Text)
	require.Contains(t, string(res.Text), "// TODO(5.1): Write Sum.\nfunc Sum(xs []int) int { _ = exercise.Todo(\"5.1\"); return 0 }\n")
	require.Equal(t, []string{"github.com/go-es-workshop/kit/internal/exercise"}, importPaths(t, res.Text))

	// The same file for another stage: the solution stays, formatted.
	res, err = cutExercises("sum.go", []byte(src), 4)
	require.NoError(t, err)
	requireGofmted(t, res.Text)
	require.Contains(t, string(res.Text), "\tfor _, x := range xs {\n")
	require.Empty(t, importPaths(t, res.Text))
}

func TestCutExercisesImportsOfVersionedPaths(t *testing.T) {
	const echoStillUsed = `package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func Routes(e *echo.Echo) error {
	//exercise:begin 3.1 Route GET /ping.
	e.GET("/ping", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return nil
	//exercise:stub return exercise.Todo("3.1")
	//exercise:end
}
`
	const echoOnlyInCut = `package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type Router interface{ Add(h any) }

func Routes(r Router) error {
	//exercise:begin 3.1 Route GET /ping.
	r.Add(func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return nil
	//exercise:stub return exercise.Todo("3.1")
	//exercise:end
}
`
	const renamedStillUsed = `package api

import (
	"net/http"

	lecho "github.com/labstack/echo/v4"
)

func Routes(e *lecho.Echo) error {
	//exercise:begin 3.1 Route GET /ping.
	e.GET("/ping", func(c lecho.Context) error { return c.NoContent(http.StatusOK) })
	return nil
	//exercise:stub return exercise.Todo("3.1")
	//exercise:end
}
`
	const sqliteDriver = `package store

import (
	"database/sql"
	"fmt"

	"github.com/acme/go-gadget"
	"github.com/acme/go-widget"
	_ "github.com/mattn/go-sqlite3"
)

var _ = gadget.New

func Open(path string) (*sql.DB, error) {
	//exercise:begin 3.4 Open the database.
	return sql.Open("sqlite3", fmt.Sprint(path, widget.Name))
	//exercise:stub return nil, exercise.Todo("3.4")
	//exercise:end
}
`
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"echo/v4 still used outside the cut", echoStillUsed, []string{
			"github.com/go-es-workshop/kit/internal/exercise", "github.com/labstack/echo/v4"}},
		{"echo/v4 used only by the cut code", echoOnlyInCut, []string{
			"github.com/go-es-workshop/kit/internal/exercise"}},
		{"renamed import still used", renamedStillUsed, []string{
			"github.com/go-es-workshop/kit/internal/exercise", "github.com/labstack/echo/v4"}},
		{"blank import kept, go- prefixed paths by their package name", sqliteDriver, []string{
			"database/sql", "github.com/acme/go-gadget", "github.com/go-es-workshop/kit/internal/exercise", "github.com/mattn/go-sqlite3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cutExercises("x.go", []byte(tt.src), 3)
			require.NoError(t, err)
			require.ElementsMatch(t, tt.want, importPaths(t, res.Text), "output:\n%s", res.Text)
			requireGofmted(t, res.Text)
		})
	}
}

func TestCutExercisesRewritesSolutionImportsWithoutCutting(t *testing.T) {
	src := `package p

import "github.com/go-es-workshop/kit/solutions/02-events/internal/x"

var _ = x.Y
`
	res, err := cutExercises("p.go", []byte(src), 1)
	require.NoError(t, err)
	require.Equal(t, strings.Replace(src, "/solutions/", "/stages/", 1), string(res.Text))
	require.Empty(t, res.All)
}

func TestCutExercisesRejectsMalformedMarkers(t *testing.T) {
	const head = "package p\n\nfunc F() error {\n"
	const tail = "}\n"
	tests := []struct {
		name, body, wantErr string
	}{
		{"begin without end",
			"\t//exercise:begin 3.1 Do it.\n\treturn nil\n\t//exercise:stub return exercise.Todo(\"3.1\")\n",
			"x.go:4: exercise 3.1 has no //exercise:end"},
		{"nested begin",
			"\t//exercise:begin 3.1 Do it.\n\t//exercise:begin 3.2 And this.\n\treturn nil\n\t//exercise:stub return nil\n\t//exercise:end\n\t//exercise:end\n",
			"x.go:5: exercise //exercise:begin 3.2 And this. begins inside exercise 3.1"},
		{"stub outside a region",
			"\t//exercise:stub return nil\n\treturn nil\n",
			"x.go:4: //exercise:stub return nil outside an exercise"},
		{"end outside a region",
			"\treturn nil\n\t//exercise:end\n",
			"x.go:5: //exercise:end outside an exercise"},
		{"begin without a summary",
			"\t//exercise:begin 3.1\n\treturn nil\n\t//exercise:stub return nil\n\t//exercise:end\n",
			"x.go:4: want \"//exercise:begin N.k what to do\""},
		{"begin with a malformed task id",
			"\t//exercise:begin three Do it.\n\treturn nil\n\t//exercise:stub return nil\n\t//exercise:end\n",
			"x.go:4: want \"//exercise:begin N.k what to do\""},
		{"region without a stub",
			"\t//exercise:begin 3.1 Do it.\n\treturn nil\n\t//exercise:end\n",
			"x.go:4: exercise 3.1 has no \"//exercise:stub \" line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Malformed markers are errors whichever stage is being generated.
			for _, stageNum := range []int{1, 3} {
				_, err := cutExercises("x.go", []byte(head+tt.body+tail), stageNum)
				require.EqualError(t, err, tt.wantErr, "stage %d", stageNum)
			}
		})
	}
}

func TestCutExercisesReportsStarterThatDoesNotParse(t *testing.T) {
	// A stub that is not Go must fail generation, not produce a broken starter.
	src := "package p\n\nfunc F() error {\n\t//exercise:begin 3.1 Do it.\n\treturn nil\n\t//exercise:stub return exercise.Todo(\"3.1\"\n\t//exercise:end\n}\n"
	_, err := cutExercises("x.go", []byte(src), 3)
	require.ErrorContains(t, err, "x.go after cutting")
}

func requireGofmted(t *testing.T, src []byte) {
	t.Helper()
	formatted, err := format.Source(src)
	require.NoError(t, err)
	require.Equal(t, string(formatted), string(src), "output is not gofmt'd")
}

func importPaths(t *testing.T, src []byte) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "out.go", src, parser.ImportsOnly)
	require.NoError(t, err, "output:\n%s", src)
	paths := []string{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		require.NoError(t, err)
		paths = append(paths, p)
	}
	return paths
}

func TestTheExerciseImportGetsAGroupOfItsOwn(t *testing.T) {
	const exercise = "github.com/go-es-workshop/kit/internal/exercise"
	for _, c := range []struct{ name, in, want string }{
		{"after the standard library", "import (\n\t\"errors\"\n\t\"" + exercise + "\"\n\t\"time\"\n)\n",
			"import (\n\t\"errors\"\n\t\"time\"\n\n\t\"" + exercise + "\"\n)\n"},
		{"beside other modules already", "import (\n\t\"errors\"\n\n\t\"" + exercise + "\"\n\t\"github.com/google/uuid\"\n)\n",
			"import (\n\t\"errors\"\n\n\t\"" + exercise + "\"\n\t\"github.com/google/uuid\"\n)\n"},
	} {
		if got := string(ownGroup([]byte(c.in), exercise)); got != c.want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.name, got, c.want)
		}
	}
}
