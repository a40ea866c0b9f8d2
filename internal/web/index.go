package web

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// StageInfo describes a stage for GET / and GET /stage.
type StageInfo struct {
	Number    int        `json:"stage"`
	Slug      string     `json:"slug"`
	Title     string     `json:"title"`
	Features  []string   `json:"features"`  // what this stage adds, one line each
	Endpoints []Endpoint `json:"endpoints"` // the routes it serves
}

// Endpoint is one route with an example a reader can paste into a terminal.
type Endpoint struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
	Curl    string `json:"curl,omitempty"` // "$BASE" stands for the server's address
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stage {{.Info.Number}}: {{.Info.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}
code,pre{font-family:ui-monospace,monospace;font-size:.9rem}
pre{background:#f4f4f6;padding:.6rem .8rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap}
td{vertical-align:top;padding:.3rem .6rem}
.m{font-weight:600}
</style></head><body>
<h1>Stage {{.Info.Number}} · {{.Info.Title}}</h1>
<p><code>{{.Info.Slug}}</code> of the Event Sourcing &amp; CQRS workshop kit.</p>
<h2>What is new here</h2>
<ul>{{range .Info.Features}}<li>{{.}}</li>{{end}}</ul>
<h2>Endpoints</h2>
<table>{{range .Endpoints}}<tr><td class="m">{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{.Summary}}
{{if .Curl}}<pre>{{.Curl}}</pre>{{end}}</td></tr>{{end}}</table>
{{if .Dashboard}}<p>Watch the events arrive: <a href="{{.Dashboard}}/">the live dashboard</a> (add <code>?theme=projector</code> on a projector).</p>{{end}}
<p>Errors are <code>application/problem+json</code>. Send <code>X-Correlation-ID</code> and <code>X-User-ID</code> headers to see them travel.</p>
</body></html>`))

func indexHandler(info StageInfo) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) {
			return c.JSON(http.StatusOK, info) // the same as GET /stage, for clients that ask for JSON
		}
		base := "http://" + c.Request().Host
		endpoints := make([]Endpoint, len(info.Endpoints))
		for i, ep := range info.Endpoints {
			ep.Curl = strings.ReplaceAll(ep.Curl, "$BASE", base)
			endpoints[i] = ep
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		dashboard := ""
		if hasDashboard(c.Echo()) {
			dashboard = DashboardPath
		}
		return indexPage.Execute(c.Response(), struct {
			Info      StageInfo
			Endpoints []Endpoint
			Dashboard string
		}{info, endpoints, dashboard})
	}
}
