package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTheSinkPrintsEachMessageAndNotesCopies(t *testing.T) {
	var out bytes.Buffer
	s := newWebhookSink(http.StatusNoContent, &out)
	body := `{"message_id":"2b8b621f-9371","type":"bank.account.v1.MoneyWithdrawn","subject":"287d1818-a4a7","data":{"amount":3000}}`
	for range 2 {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/messages", strings.NewReader(body)))
		require.Equal(t, http.StatusNoContent, rec.Code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], `bank.account.v1.MoneyWithdrawn 287d1818… {"amount":3000}`)
	require.NotContains(t, lines[0], "copy")
	require.Contains(t, lines[1], "copy 2 of message 2b8b621f…")
	total, copies := s.counts()
	require.Equal(t, [2]int{2, 1}, [2]int{total, copies})

	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/messages", strings.NewReader("{")))
	require.Equal(t, http.StatusBadRequest, rec.Code, "not JSON")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/messages", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestASinkWithAnotherStatusRefusesEveryMessage(t *testing.T) {
	var out bytes.Buffer
	s := newWebhookSink(http.StatusServiceUnavailable, &out)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/messages", strings.NewReader(`{"message_id":"m","type":"t","subject":"s","data":{}}`)))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, out.String(), "refused with 503")
	total, _ := s.counts()
	require.Zero(t, total)
}
