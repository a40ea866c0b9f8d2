package production_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

// Helpers of stage 8's tests of GET /metrics: the page read as a Prometheus
// server reads it, one sample per line.

// scraped is one GET /metrics: each sample's series ("name{labels}") and value,
// and the page itself for failure messages.
type scraped struct {
	samples map[string]string
	order   []string // series in the order of the page
	text    string
}

// sampleLine is a sample in the text format: a name, labels if any, a value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^{}]*\})?) (\S+)$`)

// scrape GETs /metrics and reads its samples.
func scrape(c *spec.Check, api *spec.API) scraped {
	r := api.Get("/metrics")
	c.NoStub(r)
	c.That(r.Status == http.StatusOK, "GET /metrics: 200 OK (it reads the gauges too: a 500 can come from waitedSince, task 8.4; the server log says which)",
		fmt.Sprintf("status %d, server log:\n%s", r.Status, api.Log()))
	m := scraped{samples: map[string]string{}, text: string(r.Body)}
	for _, line := range strings.Split(strings.TrimSuffix(m.text, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		s := sampleLine.FindStringSubmatch(line)
		c.That(s != nil, "every line a comment or a sample (name{labels} value)", line)
		if s == nil {
			continue
		}
		m.samples[s[1]] = s[2]
		m.order = append(m.order, s[1])
	}
	return m
}

// missing is what value and float return for a series the page does not have
// (or a value that is not a number): no count or gauge is ever below zero.
const missing = -1

// value is the sample of series as an integer, or missing.
func (m scraped) value(series string) int64 {
	return int64(m.float(series))
}

// float is the sample of series, or missing.
func (m scraped) float(series string) float64 {
	v, ok := m.samples[series]
	if !ok {
		return missing
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return missing
	}
	return n
}

// show is the sample of series as a failure message says it.
func (m scraped) show(series string) string {
	v, ok := m.samples[series]
	if !ok {
		return "no such series on the page:\n" + m.text
	}
	return series + " " + v
}

// lines are the page's lines that start with prefix, for a failure message.
func (m scraped) lines(prefix string) string {
	var out []string
	for _, line := range strings.Split(m.text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return "no line starting " + prefix
	}
	return strings.Join(out, "\n")
}
