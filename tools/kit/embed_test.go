package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const embedSource = `package bank

import "errors"

// MaxAmount caps one deposit.
const MaxAmount = 1_000_000

// Account is a bank account.
type Account struct {
	Balance int64
}

// Deposit adds money.
// It refuses nothing yet.
func (a *Account) Deposit(amount int64) error {
	//exercise:begin 3.2 Refuse amounts that are not positive.
	// Zero is a mistake too.
	if amount <= 0 {
		return errors.New("amount must be positive")
	}
	a.Balance += amount
	return nil
	//exercise:stub return exercise.Todo("3.2")
	//exercise:end
}

// Total is a method with a value receiver.
func (a Account) Total() int64 { return a.Balance }

// Open opens an account.
func Open() *Account {
	return &Account{}
}
`

func writeGoFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bank.go")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestExtractDecl(t *testing.T) {
	file := writeGoFile(t, embedSource)
	tests := []struct {
		name, want string
	}{
		{"Open", "func Open() *Account {\n\treturn &Account{}\n}"},
		{"Account.Deposit", "func (a *Account) Deposit(amount int64) error {\n" +
			"\t// Zero is a mistake too.\n" +
			"\tif amount <= 0 {\n" +
			"\t\treturn errors.New(\"amount must be positive\")\n" +
			"\t}\n" +
			"\ta.Balance += amount\n" +
			"\treturn nil\n" +
			"}"},
		{"Account.Total", "func (a Account) Total() int64 { return a.Balance }"},
		{"Account", "type Account struct {\n\tBalance int64\n}"},
		{"MaxAmount", "const MaxAmount = 1_000_000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractDecl(file, tt.name)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestExtractDeclUnknownName(t *testing.T) {
	file := writeGoFile(t, embedSource)
	for _, name := range []string{"Close", "Deposit", "Other.Deposit", "Account.Open"} {
		_, err := extractDecl(file, name)
		require.EqualError(t, err, file+" has no declaration "+name)
	}
	_, err := extractDecl(filepath.Join(t.TempDir(), "missing.go"), "Open")
	require.ErrorIs(t, err, os.ErrNotExist)
}

// inEmbedTree makes a temp kit folder with solutions/01-x/bank.go and slides/deck.md and
// moves into it: embed paths in a deck are relative to the kit's top folder.
func inEmbedTree(t *testing.T, goSrc, deck string) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "solutions", "01-x"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "slides"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "solutions", "01-x", "bank.go"), []byte(goSrc), 0o644))
	deckPath := filepath.Join("slides", "deck.md")
	require.NoError(t, os.WriteFile(filepath.Join(root, deckPath), []byte(deck), 0o644))
	t.Chdir(root)
	return deckPath
}

func deckWith(body string) string {
	return "# Slide\n\n```go embed=solutions/01-x/bank.go#Open\n" + body + "\n```\n\nAfter.\n"
}

const openCode = "func Open() *Account {\n\treturn &Account{}\n}"

func TestEmbedDeckCheckAcceptsCurrentEmbed(t *testing.T) {
	deck := inEmbedTree(t, embedSource, deckWith(openCode))
	n, problems, err := embedDeck(deck, true)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Empty(t, problems)
}

func TestEmbedDeckCheckReportsStaleEmbedWithoutWriting(t *testing.T) {
	stale := deckWith("func Open() *Account {\n\treturn nil\n}")
	deck := inEmbedTree(t, embedSource, stale)
	n, problems, err := embedDeck(deck, true)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"slides/deck.md:3: stale embed of solutions/01-x/bank.go#Open"}, problems)

	data, err := os.ReadFile(deck)
	require.NoError(t, err)
	require.Equal(t, stale, string(data), "check mode never writes")
}

func TestEmbedDeckWriteRefreshesStaleEmbed(t *testing.T) {
	deck := inEmbedTree(t, embedSource, deckWith("func Open() *Account {\n\treturn nil\n}\n// more old lines"))
	n, problems, err := embedDeck(deck, false)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Empty(t, problems, "a stale embed is fixed, not reported, in write mode")

	data, err := os.ReadFile(deck)
	require.NoError(t, err)
	require.Equal(t, deckWith(openCode), string(data))

	// And now it is current.
	_, problems, err = embedDeck(deck, true)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestEmbedDeckReportsOverLongEmbed(t *testing.T) {
	// One line more than a slide holds.
	var body strings.Builder
	for i := range maxSlideCodeLines - 3 {
		fmt.Fprintf(&body, "\tx += %d\n", i)
	}
	long := "package bank\n\nfunc Open() int {\n\tx := 0\n" + body.String() + "\treturn x\n}\n"
	code := "func Open() int {\n\tx := 0\n" + body.String() + "\treturn x\n}"
	lines := strings.Count(code, "\n") + 1
	require.Equal(t, maxSlideCodeLines+1, lines)
	want := fmt.Sprintf("slides/deck.md:3: solutions/01-x/bank.go#Open is %d lines; a slide holds %d at most (split the function, or embed a smaller one)", lines, maxSlideCodeLines)

	t.Run("check", func(t *testing.T) {
		deck := inEmbedTree(t, long, deckWith(code))
		_, problems, err := embedDeck(deck, true)
		require.NoError(t, err)
		require.Equal(t, []string{want}, problems)
	})
	t.Run("write", func(t *testing.T) {
		// Refreshing does not make it fit: the problem is still reported.
		deck := inEmbedTree(t, long, deckWith("old"))
		_, problems, err := embedDeck(deck, false)
		require.NoError(t, err)
		require.Equal(t, []string{want}, problems)
		data, err := os.ReadFile(deck)
		require.NoError(t, err)
		require.Equal(t, deckWith(code), string(data))
	})
}

func TestEmbedDeckExactlyMaxLinesFits(t *testing.T) {
	var body strings.Builder
	for i := range maxSlideCodeLines - 3 {
		fmt.Fprintf(&body, "\tx += %d\n", i)
	}
	code := "func Open() int {\n\tx := 0\n" + body.String() + "}"
	require.Equal(t, maxSlideCodeLines, strings.Count(code, "\n")+1)
	deck := inEmbedTree(t, "package bank\n\n"+code+"\n", deckWith(code))
	_, problems, err := embedDeck(deck, true)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestEmbedDeckReportsUnknownDeclarationAndKeepsTheBlock(t *testing.T) {
	deck := "```go embed=solutions/01-x/bank.go#Gone\nkept as it is\n```\n"
	path := inEmbedTree(t, embedSource, deck)
	_, problems, err := embedDeck(path, false)
	require.NoError(t, err)
	require.Len(t, problems, 1)
	require.Contains(t, problems[0], "slides/deck.md:1: ")
	require.Contains(t, problems[0], "has no declaration Gone")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, deck, string(data))
}

func TestEmbedDeckUnclosedFenceIsAnError(t *testing.T) {
	deck := inEmbedTree(t, embedSource, "# Slide\n\n```go embed=solutions/01-x/bank.go#Open\nfunc Open()\n")
	_, _, err := embedDeck(deck, true)
	require.EqualError(t, err, "slides/deck.md:3: code fence never closed")
}

func TestEmbedDeckIgnoresPlainFences(t *testing.T) {
	deck := "```go\nfunc Open() {}\n```\n\n```mermaid\ngraph TD\n```\n"
	path := inEmbedTree(t, embedSource, deck)
	n, problems, err := embedDeck(path, true)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, problems)
}
