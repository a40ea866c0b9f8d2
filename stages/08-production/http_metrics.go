package bank

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// metrics is GET /metrics, in the Prometheus text format (version 0.0.4): one
// line per series, "name{label="value"} number", each metric after its HELP and
// TYPE lines. Any Prometheus, Grafana Agent or OpenTelemetry collector scrapes it.
// A production service would use the Prometheus client library
// (github.com/prometheus/client_golang); the format is small enough to write by
// hand here, which keeps the workshop's downloads small and every line in sight.
func (a *api) metrics(c echo.Context) error {
	g, err := a.app.ReadGauges(c.Request().Context())
	if err != nil {
		return err
	}
	var b strings.Builder
	a.app.Metrics.write(&b)
	writeGauges(&b, g)
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}

// write puts the counts of this process in w.
func (m *Metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	header(w, "bank_commands_total", "counter", "Commands carried out by this process, by command and outcome.")
	commands := map[string]int64{}
	for k, n := range m.commands {
		commands[labels("command", k[0], "outcome", k[1])] = n
	}
	for _, l := range sortedKeys(commands) {
		fmt.Fprintf(w, "bank_commands_total%s %d\n", l, commands[l])
	}
	header(w, "bank_command_duration_seconds", "histogram", "How long commands took, retries included.")
	for _, command := range sortedKeys(m.timings) {
		h := m.timings[command]
		for i, bound := range h.bounds {
			fmt.Fprintf(w, "bank_command_duration_seconds_bucket%s %d\n", labels("command", command, "le", fmt.Sprint(bound)), h.counts[i])
		}
		fmt.Fprintf(w, "bank_command_duration_seconds_bucket%s %d\n", labels("command", command, "le", "+Inf"), h.count)
		fmt.Fprintf(w, "bank_command_duration_seconds_sum%s %g\n", labels("command", command), h.sum)
		fmt.Fprintf(w, "bank_command_duration_seconds_count%s %d\n", labels("command", command), h.count)
	}
	header(w, "bank_account_loads_total", "counter", "Accounts loaded by this process, from a snapshot or by replaying the whole stream.")
	for _, from := range sortedKeys(m.loads) {
		fmt.Fprintf(w, "bank_account_loads_total%s %d\n", labels("from", from), m.loads[from])
	}
	header(w, "bank_account_load_events_total", "counter", "Events applied while loading accounts, by how the load began.")
	for _, from := range sortedKeys(m.replayed) {
		fmt.Fprintf(w, "bank_account_load_events_total%s %d\n", labels("from", from), m.replayed[from])
	}
}

// writeGauges puts the numbers read from the database in w.
func writeGauges(w io.Writer, g Gauges) {
	header(w, "bank_log_head_position", "gauge", "The global position of the last stored event.")
	fmt.Fprintf(w, "bank_log_head_position %d\n", g.Head)
	header(w, "bank_projection_checkpoint", "gauge", "The position of the last event each projection applied.")
	for _, p := range g.Projections {
		fmt.Fprintf(w, "bank_projection_checkpoint%s %d\n", labels("projection", p.Name), p.Checkpoint)
	}
	header(w, "bank_projection_lag_events", "gauge", "Events in the log that each projection has not applied yet.")
	for _, p := range g.Projections {
		fmt.Fprintf(w, "bank_projection_lag_events%s %d\n", labels("projection", p.Name), p.Lag)
	}
	header(w, "bank_projection_up", "gauge", "1 while a projection runs, 0 once it stopped on an error.")
	for _, p := range g.Projections {
		fmt.Fprintf(w, "bank_projection_up%s %d\n", labels("projection", p.Name), boolNumber(p.Status != "failed"))
	}
	header(w, "bank_outbox_pending_messages", "gauge", "Integration messages still to deliver.")
	fmt.Fprintf(w, "bank_outbox_pending_messages %d\n", g.Outbox.Pending)
	header(w, "bank_outbox_oldest_pending_age_seconds", "gauge", "How long the oldest message still to deliver has waited.")
	fmt.Fprintf(w, "bank_outbox_oldest_pending_age_seconds %g\n", g.Outbox.OldestPending.Seconds())
	header(w, "bank_dead_letters", "gauge", "Parked inputs waiting for someone to look: the outbox's, and each consumer's.")
	fmt.Fprintf(w, "bank_dead_letters%s %d\n", labels("queue", "outbox"), g.Outbox.Parked)
	for _, consumer := range sortedKeys(g.Parked) {
		fmt.Fprintf(w, "bank_dead_letters%s %d\n", labels("queue", consumer), g.Parked[consumer])
	}
}

// header writes a metric's HELP and TYPE lines.
func header(w io.Writer, name, kind, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

// labels formats label pairs ("command", "OpenAccount") as {command="OpenAccount"},
// with the value escaped as the format asks (backslash, quote, newline). Its
// callers pass names and values in turn: always an even number of strings.
func labels(pairs ...string) string {
	escape := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, pairs[i], escape.Replace(pairs[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

func boolNumber(b bool) int {
	if b {
		return 1
	}
	return 0
}
