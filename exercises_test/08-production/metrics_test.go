package production_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

// Guards of GET /metrics: the Prometheus text format, what it counts of
// loads, and the gauges once the server has caught up.

// declared is the "# TYPE name kind" line of a metric.
var declared = regexp.MustCompile(`^# TYPE ([a-z_]+) (counter|gauge|histogram)$`)

func TestGuard_MetricsAreInThePrometheusTextFormat(t *testing.T) {
	c := spec.Guard(t, stage, "http_metrics.go and metrics.go", "GET /metrics is the Prometheus text format: every sample declared, histograms cumulative")
	s := newSnapServer(t, neverSnapshot)
	id := c.OpenAccount(s.API, "checking", 0)
	s.deposit(c, id, 100)
	s.deposit(c, id, 200)
	c.Status(s.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 50, "reference": "rent"}), http.StatusOK)
	c.Status(s.Post("/accounts/"+id+"/close", nil), http.StatusUnprocessableEntity)
	c.Doing("GET /metrics after 5 commands of 4 kinds")
	r := s.Get("/metrics")
	c.Equal("text/plain; version=0.0.4; charset=utf-8", r.Header.Get("Content-Type"), "the content type of the text format")
	m := scrape(c, s.API)
	kinds := map[string]string{}
	helped := map[string]bool{}
	for _, line := range strings.Split(m.text, "\n") {
		if d := declared.FindStringSubmatch(line); d != nil {
			kinds[d[1]] = d[2]
		}
		if strings.HasPrefix(line, "# HELP ") {
			helped[strings.Fields(line)[2]] = true
		}
	}
	for _, series := range m.order {
		name, _, _ := strings.Cut(series, "{")
		base := name
		if kinds[name] == "" {
			base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		}
		c.That(kinds[base] != "" && helped[base], "a # HELP and a # TYPE line for "+base, m.lines("# ")) // a sample of a metric never declared is dropped by a scraper
	}
	c.Doing("read the histogram of DepositMoney's durations")
	var last float64 = -1
	var lastCount int64 = -1
	for _, series := range m.order {
		if !strings.HasPrefix(series, `bank_command_duration_seconds_bucket{command="DepositMoney",le="`) {
			continue
		}
		le := strings.TrimSuffix(strings.TrimPrefix(series, `bank_command_duration_seconds_bucket{command="DepositMoney",le="`), `"}`)
		bound := 1e300
		if le != "+Inf" {
			var err error
			bound, err = strconv.ParseFloat(le, 64)
			c.NoError(err, "reading the bucket bound "+le)
		}
		n := m.value(series)
		c.That(bound > last && n >= lastCount, "buckets in increasing order of le, each counting at least what the one before it does (cumulative)", m.lines("bank_command_duration_seconds_bucket"))
		last, lastCount = bound, n
	}
	for _, series := range []string{
		`bank_command_duration_seconds_bucket{command="DepositMoney",le="+Inf"}`,
		`bank_command_duration_seconds_bucket{command="DepositMoney",le="5"}`, // no deposit here takes 5 seconds
		`bank_command_duration_seconds_count{command="DepositMoney"}`,
	} {
		c.That(m.value(series) == 2, series+" 2: both deposits", m.show(series))
	}
	c.That(m.float(`bank_command_duration_seconds_sum{command="DepositMoney"}`) > 0, "the sum of their durations, above 0", m.lines("bank_command_duration_seconds_sum"))
	opened := `bank_command_duration_seconds_count{command="OpenAccount"}`
	c.That(m.value(opened) == 1, opened+" 1: the opening", m.show(opened))
	c.Doing("read the order of the series")
	commands := strings.Split(m.lines("bank_commands_total{"), "\n")
	c.That(slices.IsSorted(commands) && len(commands) == 4, "bank_commands_total's 4 series in order, CloseAccount to WithdrawMoney (the same order on every scrape)", strings.Join(commands, "\n"))
	counts := strings.Split(m.lines("bank_command_duration_seconds_count{"), "\n")
	c.That(slices.IsSorted(counts) && len(counts) == 4, "the durations' 4 series in order of command", strings.Join(counts, "\n"))
}

func TestGuard_MetricsThatCannotBeReadAreA500(t *testing.T) {
	c := spec.Guard(t, stage, "http_metrics.go", "GET /metrics answers 500 when a gauge cannot be read, never a page of zeros")
	s := newSnapServer(t, neverSnapshot)
	c.OpenAccount(s.API, "checking", 0)
	execAll(c, s.db.Write, `ALTER TABLE consumer_dead_letters RENAME TO consumer_dead_letters_gone`)
	c.Doing("GET /metrics once the consumers' dead letters cannot be read")
	c.Status(s.Get("/metrics"), http.StatusInternalServerError)
}

func TestGuard_MetricsCountReplaysAndShowTheGauges(t *testing.T) {
	c := spec.Guard(t, stage, "http_metrics.go, metrics.go and account_repository.go (Load)", "GET /metrics counts the loads by replay and shows the gauges")
	s := newSnapServer(t, neverSnapshot)
	id := c.OpenAccount(s.API, "checking", 0)
	s.deposit(c, id, 100)
	s.deposit(c, id, 200)
	s.balance(c, id)
	execAll(c, s.db.Write, `INSERT INTO consumer_dead_letters (consumer, build, position, message_id, type, subject, data, reason, parked_at)
			VALUES ('a"b\c'||char(10)||'d', 'v1', 1, 'm', 't', 's', '{}', 'r', '2024-05-01T10:00:00Z')`)
	c.Doing("GET /metrics after 3 commands and a GET of the account, once the projections and the relay caught up")
	var m scraped
	waitUntil(c, "the projections caught up and the outbox delivered", func() bool {
		m = scrape(c, s.API)
		return m.value(`bank_projection_lag_events{projection="accounts_by_owner"}`) == 0 &&
			m.value(`bank_projection_lag_events{projection="daily_totals"}`) == 0 &&
			m.value(`bank_projection_lag_events{projection="account_transactions"}`) == 0 &&
			m.value("bank_outbox_pending_messages") == 0
	})
	for _, series := range []string{`bank_projection_up{projection="accounts_by_owner"}`, `bank_projection_up{projection="daily_totals"}`} {
		c.That(m.value(series) == 1, series+" 1: running", m.show(series))
	}
	c.Doing("add a row to the log that no projection can read (version 'two'), then GET /metrics")
	execAll(c, s.db.Write, `INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		SELECT 'unreadable', stream_id, 'two', event_type, schema_version, data, metadata, recorded_at FROM events WHERE global_position = 3`)
	waitUntil(c, "the projections stopped on the row they cannot read", func() bool {
		m = scrape(c, s.API)
		return m.value(`bank_projection_up{projection="account_transactions"}`) == 0
	})
	for series, want := range map[string]int64{
		`bank_account_loads_total{from="replay"}`:                       3,
		`bank_account_load_events_total{from="replay"}`:                 1 + 2 + 3,
		`bank_log_head_position`:                                        4,
		`bank_projection_checkpoint{projection="account_transactions"}`: 3,
		`bank_projection_lag_events{projection="account_transactions"}`: 1,
		`bank_projection_up{projection="account_transactions"}`:         0,
		`bank_outbox_pending_messages`:                                  0,
		`bank_outbox_oldest_pending_age_seconds`:                        0,
		`bank_dead_letters{queue="outbox"}`:                             0,
		`bank_dead_letters{queue="a\"b\\c\nd"}`:                         1,
	} {
		c.That(m.value(series) == want, fmt.Sprintf("%s %d", series, want), m.show(series))
	}
}

func TestGuard_ADurationIsInSecondsAndInEveryBucketAtOrAboveIt(t *testing.T) {
	c := spec.Guard(t, stage, "metrics.go (measured, histogram)", "a command's duration is timed around it, in seconds, and counted in every bucket whose bound is at or above it")
	s := newSnapServer(t, neverSnapshot)
	id := c.OpenAccount(s.API, "checking", 0)
	c.Doing("deposit while another connection holds the database's write lock for 100 ms")
	hold, err := s.db.Write.BeginTx(c.Ctx(), nil)
	c.NoError(err, "taking the write lock (test setup)")
	_, err = hold.Exec(`CREATE TABLE held (n INTEGER)`)
	c.NoError(err, "taking the write lock (test setup)")
	deposited := make(chan spec.Response, 1)
	go func() {
		deposited <- s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100, "reference": "salary"})
	}()
	time.Sleep(100 * time.Millisecond)
	c.NoError(hold.Rollback(), "letting the lock go (test setup)")
	c.Status(<-deposited, http.StatusOK)
	m := scrape(c, s.API)
	for _, command := range []string{"OpenAccount", "DepositMoney"} {
		took := m.float(`bank_command_duration_seconds_sum{command="` + command + `"}`) // one command of each: the sum is its duration
		histogram := m.lines(`bank_command_duration_seconds_bucket{command="` + command + `"`)
		for _, bound := range []string{"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "1", "5", "+Inf"} {
			le, _ := strconv.ParseFloat(bound, 64) // "+Inf" parses as infinity
			want := int64(0)
			if took <= le {
				want = 1
			}
			series := `bank_command_duration_seconds_bucket{command="` + command + `",le="` + bound + `"}`
			c.That(m.value(series) == want, fmt.Sprintf("%s %d: the command took %gs", series, want, took), histogram)
		}
	}
	took := m.float(`bank_command_duration_seconds_sum{command="DepositMoney"}`)
	c.That(took >= 0.09 && took < 60, "the deposit's duration in seconds: at least the 0.1 s it waited for the lock (timed around the whole command)", fmt.Sprintf("%gs", took))
}
