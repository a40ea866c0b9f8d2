package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoTableAlignsColumnsAndNumbersRight(t *testing.T) {
	tb := newTable("position", "type", "amount", "reference")
	tb.add(1, "AccountOpened", "", "")
	tb.add(12, "MoneyDeposited", "+5000", "salary März")
	tb.add(3, "MoneyWithdrawn", "-700", "card fee")
	require.Equal(t, ""+
		"position  type            amount  reference\n"+
		"--------  --------------  ------  -----------\n"+
		"       1  AccountOpened\n"+
		"      12  MoneyDeposited   +5000  salary März\n"+
		"       3  MoneyWithdrawn    -700  card fee\n", tb.String(), "a column of whole numbers (blanks allowed) is right-aligned; widths count runes")
}

func TestDemoTableWithoutRowsOrWithShortRows(t *testing.T) {
	tb := newTable("a", "b")
	require.Equal(t, "a  b\n-  -\n", tb.String())
	tb.add("only one")
	tb.add("x", "y", "extra cells are dropped")
	require.Equal(t, "a         b\n--------  -\nonly one\nx         y\n", tb.String())
}

func TestDemoPrettyJSON(t *testing.T) {
	require.Equal(t, "{\n  \"balance\": 40,\n  \"owner\": \"Ada\"\n}", prettyJSON([]byte(`{"balance":40,"owner":"Ada"}`+"\n")),
		"raw JSON keeps the server's order")
	require.Equal(t, "{\n  \"a\": [\n    1,\n    2\n  ]\n}", prettyJSON(map[string]any{"a": []int{1, 2}}))
	require.Equal(t, "not json", prettyJSON([]byte("not json")), "what is not JSON is shown as it came")
}

func TestDemoPresenterStepsNotesAndJSON(t *testing.T) {
	var b strings.Builder
	p := &presenter{w: &b}
	p.step("Open an account.", "One row per account.")
	p.note("balance %d", 40)
	p.note("")
	p.json([]byte(`{"id":1}`))
	p.step("Next.")
	require.Equal(t, "\n[1] Open an account.\n    say: One row per account.\n    balance 40\n\n    {\n      \"id\": 1\n    }\n\n[2] Next.\n", b.String())
}

func TestDemoSmallPrinters(t *testing.T) {
	require.Equal(t, "+5000", signed(5000))
	require.Equal(t, "-700", signed(-700))
	require.Equal(t, "0", signed(0))
	require.Equal(t, "abc", shorten("abc", 3))
	require.Equal(t, "ab…", shorten("abcd", 3))
	require.Equal(t, "1 copy", howMany(1, "copy", "copies"))
	require.Equal(t, "0 copies", howMany(0, "copy", "copies"))
	require.Equal(t, "  a\n  b", indentLines("a\nb\n", "  "))
}
