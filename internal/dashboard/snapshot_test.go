package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const ada = "account-3f2a9c1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"

func TestStage2ShowsTheLogAndNoLaterPanel(t *testing.T) {
	b := newBank(t, stage2Tables)
	b.appendEvent(ada, "AccountOpened", 3, `{"account_id":"3f2a","holder":{"legal_name":"Ada Lovelace","type":"person"},"kind":"checking","currency":"EUR"}`, "c-open")
	b.deposit(ada, 2500, "salary March")

	snap := b.snapshot()
	require.Equal(t, int64(2), snap.Head)
	require.Len(t, snap.Log, 2)
	deposit := snap.Log[0]
	require.Equal(t, LogEvent{Position: 2, Stream: ada, Version: 2, Type: "MoneyDeposited", Schema: 1, Amount: ptr(2500),
		Detail: "salary March", Correlation: "corr-salary March", RecordedAt: deposit.RecordedAt}, deposit, "newest first, with amount, reference and correlation id")
	require.Equal(t, "Ada Lovelace", snap.Log[1].Detail, "an opening shows its owner")

	raw, err := json.Marshal(snap)
	require.NoError(t, err)
	for _, panel := range []string{`"projections":null`, `"outbox":null`, `"dead_letters":null`, `"consumer_dead_letters":null`, `"read_models":null`} {
		require.Contains(t, string(raw), panel, "stage 2 has no such table: the page hides the panel")
	}
}

func TestStage4ShowsCheckpointsWithLagAndTheReadModel(t *testing.T) {
	b := newBank(t, stage4Tables)
	for i := range 5 {
		b.deposit(ada, 100*(i+1), fmt.Sprint("payment ", i))
	}
	b.exec(`INSERT INTO checkpoints VALUES ('accounts_by_owner', 5), ('account_transactions', 3)`)
	b.exec(`INSERT INTO accounts_by_owner VALUES ('a1', 'Ada Lovelace', 'checking', 'EUR', 1500, 'open'), ('a2', 'Grace Hopper', 'savings', 'USD', 0, 'open')`)

	snap := b.snapshot()
	require.Equal(t, []Projection{{Name: "account_transactions", Checkpoint: 3, Lag: 2}, {Name: "accounts_by_owner", Checkpoint: 5, Lag: 0}}, snap.Projections)
	require.Len(t, snap.ReadModels, 1)
	m := snap.ReadModels[0]
	require.Equal(t, "accounts_by_owner", m.Source)
	require.Equal(t, []string{"account_id", "owner", "kind", "currency", "balance", "status"}, m.Columns)
	require.Equal(t, [][]string{{"a2", "Grace Hopper", "savings", "USD", "0", "open"}, {"a1", "Ada Lovelace", "checking", "EUR", "1500", "open"}}, m.Rows, "newest row first")
}

func TestStage5ShowsTheOutboxAndDeadLetters(t *testing.T) {
	b := newBank(t, stage5Tables)
	for i, status := range []string{"published", "published", "pending", "parked", "pending"} {
		b.exec(`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, status, attempts, next_attempt_at, last_error)
			VALUES (?, ?, 'bank.money_deposited.v1', '{}', 'now', ?, ?, 'now', ?)`, fmt.Sprint("m", i), ada, status, i, map[bool]string{true: "503 Service Unavailable"}[i > 2])
	}
	b.exec(`INSERT INTO dead_letters (outbox_id, message_id, type, subject, attempts, reason, parked_at) VALUES (4, 'm3', 'bank.money_deposited.v1', ?, 8, 'gave up after 8 attempts: 503', '2024-05-01T10:00:00Z')`, ada)

	snap := b.snapshot()
	require.NotNil(t, snap.Outbox)
	require.Equal(t, int64(2), snap.Outbox.Pending)
	require.Equal(t, int64(1), snap.Outbox.Parked)
	require.Len(t, snap.Outbox.Messages, 5)
	require.Equal(t, OutboxMessage{ID: 5, Type: "bank.money_deposited.v1", Subject: ada, Status: "pending", Attempts: 4, LastError: "503 Service Unavailable"}, snap.Outbox.Messages[0])
	require.Equal(t, []DeadLetter{{ID: 1, Type: "bank.money_deposited.v1", Subject: ada, Attempts: 8, Reason: "gave up after 8 attempts: 503", ParkedAt: "2024-05-01T10:00:00Z"}}, snap.DeadLetters)
	require.Nil(t, snap.ConsumerDeadLetters, "consumer dead letters come with stage 6")
}

func TestStage7ShowsBuildsRebuildsConsumersAndOldSchemas(t *testing.T) {
	b := newBank(t, stage7Tables)
	b.appendEvent(ada, "AccountOpened", 1, `{"account_id":"3f2a","owner":"Ada Lovelace","kind":"checking","currency":"EUR"}`, "c1")
	b.appendEvent("account-2", "AccountOpened", 2, `{"holder":{"name":"Grace Hopper","type":"person"}}`, "c2")
	b.appendEvent(ada, "OpeningBalanceMigrated", 1, `{"balance":4000,"source":"crud"}`, "c3")
	b.deposit(ada, 2500, "salary March")
	b.exec(`INSERT INTO read_models VALUES ('accounts_by_owner', 'blue', 1, 'green', 2), ('daily_totals', 'green', 1, NULL, NULL)`)
	b.exec(`INSERT INTO checkpoints VALUES ('accounts_by_owner', 'blue', 4), ('accounts_by_owner', 'green', 1), ('daily_totals', 'green', 2)`)
	b.exec(`INSERT INTO accounts_by_owner_blue VALUES ('a1', 'Ada Lovelace', 'checking', 'EUR', 6500, 'open')`)
	b.exec(`INSERT INTO accounts_by_owner_green VALUES ('a1', 'rebuilding', 'checking', 'EUR', 0, 'open')`)
	b.exec(`INSERT INTO consumer_dead_letters (consumer, build, position, type, subject, data, reason, parked_at)
		VALUES ('statements', '', NULL, 'bank.money_deposited.v1', ?, '{}', 'no statement opened for this account', 'now')`, ada)
	b.exec(`INSERT INTO processed_messages VALUES ('statements', 'm1', 'now')`)

	snap := b.snapshot()
	require.Equal(t, []Projection{
		{Name: "accounts_by_owner", Build: "blue", Version: 1, Checkpoint: 4, Lag: 0, Rebuild: &Rebuild{Build: "green", Version: 2, Checkpoint: 1, Lag: 3}},
		{Name: "daily_totals", Build: "green", Version: 1, Checkpoint: 2, Lag: 2},
	}, snap.Projections)
	require.Equal(t, "Ada Lovelace", snap.Log[3].Detail, "v1 names the owner")
	require.Equal(t, "Grace Hopper", snap.Log[2].Detail, "v2 names the holder")
	require.Equal(t, "balance 4000", snap.Log[1].Detail)
	require.Equal(t, int64(2), snap.Log[2].Schema)

	names := map[string]ReadModel{}
	for _, m := range snap.ReadModels {
		names[m.Name] = m
	}
	require.Equal(t, "accounts_by_owner_blue", names["accounts_by_owner"].Source, "the view's live build")
	require.Equal(t, "Ada Lovelace", names["accounts_by_owner"].Rows[0][1])
	require.Contains(t, names, "processed_messages")
	require.Contains(t, names, "statements")
	require.Equal(t, "statements", snap.ConsumerDeadLetters[0].Consumer)
	require.NotNil(t, snap.DeadLetters, "the table exists: an empty list, not null")
	require.Empty(t, snap.DeadLetters)
}

func TestTheLogIsBoundedAndNewestFirst(t *testing.T) {
	b := newBank(t, stage2Tables)
	for i := range logLimit + 30 {
		b.deposit(fmt.Sprint("account-", i%7), i+1, "r")
	}
	snap := b.snapshot()
	require.Len(t, snap.Log, logLimit)
	require.Equal(t, int64(logLimit+30), snap.Log[0].Position)
	require.Equal(t, int64(31), snap.Log[logLimit-1].Position)
}

func TestADatabaseWithoutEventsSaysSo(t *testing.T) {
	b := newBank(t, []string{`CREATE TABLE accounts (id TEXT PRIMARY KEY, owner TEXT, balance INTEGER)`})
	snap := b.snapshot()
	require.Contains(t, snap.Error, "no events table")
	require.Nil(t, snap.Log)
}

func TestAReadModelViewOnlyLeadsToItsOwnBuilds(t *testing.T) {
	s := schema{tables: map[string]bool{"accounts_by_owner_blue": true, "events": true},
		views: map[string]string{"accounts_by_owner": "CREATE VIEW accounts_by_owner AS SELECT * FROM events", "daily_totals": "CREATE VIEW daily_totals AS SELECT * FROM accounts_by_owner_blue"}}
	_, ok := s.source("accounts_by_owner")
	require.False(t, ok, "a view over another table is not read")
	_, ok = s.source("daily_totals")
	require.False(t, ok, "nor a view over another read model's build")
}

func TestStreamShowsMetadataAndIndentedData(t *testing.T) {
	b := newBank(t, stage2Tables)
	for i := range streamLimit + 5 {
		b.deposit(ada, i+1, "r")
	}
	b.deposit("account-other", 1, "other")
	eventColumns, err := columns(context.Background(), b.reader, "events")
	require.NoError(t, err)
	s, err := readStream(context.Background(), b.reader, ada, eventColumns)
	require.NoError(t, err)
	require.True(t, s.Older)
	require.Len(t, s.Events, streamLimit)
	require.Equal(t, int64(6), s.Events[0].Version, "the newest events, oldest of them first")
	last := s.Events[streamLimit-1]
	require.Equal(t, int64(streamLimit+5), last.Version)
	require.Equal(t, map[string]string{"correlation_id": "corr-r", "causation_id": "cause-1", "user_id": "presenter"}, last.Metadata)
	require.Equal(t, "{\n  \"amount\": 105,\n  \"reference\": \"r\"\n}", last.Data)
}

func TestSummaryOfOddData(t *testing.T) {
	for data, want := range map[string]string{`not json`: "", `[1,2]`: "", `{}`: "", `{"amount":"12"}`: "", `{"reference":"` + strings.Repeat("x", 300) + `"}`: strings.Repeat("x", maxDetailRunes-1) + "…"} {
		_, got := summarize(data)
		require.Equal(t, want, got, data)
	}
}

func ptr(v int64) *int64 { return &v }

func TestStoredDataShowsTheCharactersGoEscaped(t *testing.T) {
	for stored, shown := range map[string]string{
		`{"owner":"\u003cscript\u003e \u0026 co"}`: "{\n  \"owner\": \"<script> & co\"\n}",
		`{"path":"C:\\u003cdir"}`:                  "{\n  \"path\": \"C:\\\\u003cdir\"\n}", // an escaped backslash, then text
		`{"name":"Ren\u00e9e\u2028"}`:              "{\n  \"name\": \"Ren\\u00e9e\\u2028\"\n}",
		`not json <b>`:                             `not json <b>`,
	} {
		require.Equal(t, shown, indented(stored), stored)
	}
}
