package browsertest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pdfPage matches a page object of a PDF (not the /Pages tree above them).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestCheatSheetPrintsOnOneA4Page prints docs/cheatsheet.html as a browser
// would, on A4, and counts the pages: the cheat sheet is handed out as one sheet.
func TestCheatSheetPrintsOnOneA4Page(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "..", "docs", "cheatsheet.html"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	ctx := startChromium(t)
	do(t, ctx, chromedp.Navigate("file://"+path))
	yes := true
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PaperWidth: 8.27, PaperHeight: 11.69})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pdfPage.FindAll(pdf.Data, -1)); n != 1 {
		t.Errorf("docs/cheatsheet.html prints on %d A4 pages, not 1: shorten docs/cheatsheet.md (then go test ./tools/kit -run TestCheatSheetHTMLIsCurrent -update-docs)", n)
	}
	if err := os.WriteFile("/tmp/cheatsheet.pdf", pdf.Data, 0o644); err == nil {
		t.Log("printed: /tmp/cheatsheet.pdf")
	}
}
