// Package browsertest drives the dashboard (internal/dashboard) in headless
// Chromium beside a real stage server: what a presenter sees, tested as a
// browser sees it. It is a module of its own, so that chromedp is downloaded
// only by those who run it (make test-browser), never by learners.
package browsertest
