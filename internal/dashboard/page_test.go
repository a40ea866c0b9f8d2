package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const hostile = `<script>alert(1)</script>`

func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestAHostileOwnerIsOnlyEverText(t *testing.T) {
	b := newBank(t, stage4Tables)
	b.appendEvent(ada, "AccountOpened", 1, `{"owner":"`+hostile+`","kind":"checking","currency":"EUR"}`, hostile)
	b.exec(`INSERT INTO accounts_by_owner VALUES ('a1', ?, 'checking', 'EUR', 0, 'open')`, hostile)
	_, srv, _ := b.serve(Options{})

	page := listen(t, srv.URL)
	snap, _ := page.waitHead(1, time.Second)
	require.Equal(t, hostile, snap.Log[0].Detail, "the page gets the owner as it is, to show as text")
	raw := <-page.raw
	require.NotContains(t, raw, "<", "the stream's JSON escapes < and >")

	resp, err := http.Get(srv.URL + "/stream?id=" + ada)
	require.NoError(t, err)
	text := body(t, resp)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.NotContains(t, text, "<script")
	require.Contains(t, text, `\u003cscript\u003e`)
}

func TestThePageEscapesItsTitle(t *testing.T) {
	d := New(nil, Options{Title: hostile})
	text := body(t, get(t, d, "/"))
	require.NotContains(t, text, hostile)
	require.Contains(t, text, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, text, `class="theme-laptop"`)
	require.Contains(t, body(t, get(t, d, "/?theme=projector")), `class="theme-projector"`)
	require.Contains(t, body(t, get(t, d, `/?theme="><script>`)), `class="theme-laptop"`, "only the two themes")
}

func TestTheScriptNeverWritesHTML(t *testing.T) {
	js, err := assets.ReadFile("assets/app.js")
	require.NoError(t, err)
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"style"} {
		require.NotContains(t, string(js), sink, "values go in with textContent only")
	}
}

func TestNothingComesFromTheNetwork(t *testing.T) {
	d := New(nil, Options{})
	resp := get(t, d, "/")
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "script-src 'self'")
	// An address (http://host, //host), or CSS that fetches something.
	url := regexp.MustCompile(`(?i:(https?:)?//[a-z0-9-]+(\.[a-z0-9-]+)+)|@import|\burl\(`)
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		data, err := assets.ReadFile("assets/" + name)
		require.NoError(t, err)
		require.Empty(t, url.FindAllString(string(data), -1), "%s loads nothing from elsewhere", name)
	}
	require.NotRegexp(t, `<script>|<style>|\sstyle=|\son[a-z]+=`, body(t, resp), "no inline script or style: the policy would refuse them")
}

func TestRoutesBelowAPrefix(t *testing.T) {
	d := New(nil, Options{Prefix: "/dashboard/"})
	resp := get(t, d, "/dashboard")
	require.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	require.Equal(t, "/dashboard/", resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, get(t, d, "/dashboard/").StatusCode)

	js := get(t, d, "/dashboard/assets/app.js")
	require.Equal(t, http.StatusOK, js.StatusCode)
	require.Contains(t, js.Header.Get("Content-Type"), "javascript")
	require.Contains(t, get(t, d, "/dashboard/assets/app.css").Header.Get("Content-Type"), "text/css")
	for _, missing := range []string{"/dashboard/assets/index.html", "/dashboard/assets/../dashboard.go", "/dashboard/nope", "/elsewhere"} {
		require.Equal(t, http.StatusNotFound, get(t, d, missing).StatusCode, missing)
	}
	w := httptest.NewRecorder()
	d.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/dashboard/", strings.NewReader("x")))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestStreamNeedsAnID(t *testing.T) {
	b := newBank(t, stage2Tables)
	d := New(b.reader, Options{})
	require.Equal(t, http.StatusBadRequest, get(t, d, "/stream").StatusCode)
	require.Equal(t, http.StatusBadRequest, get(t, d, "/stream?id="+strings.Repeat("x", maxStreamID+1)).StatusCode)
	resp := get(t, d, "/stream?id=account-unknown")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"id":"account-unknown","events":[],"older":false}`, body(t, resp))
}
