package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"path"
	"time"
)

// The page is one HTML template and two static files. html/template escapes what
// the server puts in the page (the title); the script puts every value from the
// database in with textContent, so an owner named <script>alert(1)</script>
// shows as that text.

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// pageData is what the template fills in.
type pageData struct {
	Title string
	Theme string // "laptop" or "projector"
}

// started dates the embedded assets, for If-Modified-Since.
var started = time.Now()

func (d *Dashboard) servePage(w http.ResponseWriter, r *http.Request) {
	theme := "laptop"
	if r.URL.Query().Get("theme") == "projector" {
		theme = "projector"
	}
	var b bytes.Buffer
	if err := page.Execute(&b, pageData{Title: d.opts.Title, Theme: theme}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// staticAssets are the files served as they are; the template is not among them.
var staticAssets = map[string]bool{"app.css": true, "app.js": true}

func (d *Dashboard) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	dir, file := path.Split(name)
	if dir != "assets/" || !staticAssets[file] {
		http.NotFound(w, r)
		return
	}
	data, err := assets.ReadFile("assets/" + file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, file, started, bytes.NewReader(data))
}

// maxStreamID bounds the stream id a page may ask for.
const maxStreamID = 200

// serveStream answers GET stream?id=...: one stream's newest events, as JSON.
func (d *Dashboard) serveStream(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" || len(id) > maxStreamID {
		http.Error(w, "which stream? ?id=account-...", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	eventColumns, err := columns(ctx, d.db, "events")
	if err != nil || len(eventColumns) == 0 {
		http.Error(w, "this database has no events table", http.StatusNotFound)
		return
	}
	s, err := readStream(ctx, d.db, id, eventColumns)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s)
}
