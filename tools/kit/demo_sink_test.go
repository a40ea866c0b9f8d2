package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDemoHoldingSinkHoldsOneMessageUnansweredAndCountsItsCopies(t *testing.T) {
	sink := newHoldingSink(2)
	post := func(id string) *httptest.ResponseRecorder {
		body := fmt.Sprintf(`{"message_id":%q,"type":"bank.account.v1.MoneyDeposited","subject":"acc","data":{"amount":1}}`, id)
		req := httptest.NewRequest(http.MethodPost, "/messages", strings.NewReader(body))
		req.Header.Set("X-Message-ID", id)
		rec := httptest.NewRecorder()
		sink.ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusNoContent, post("m-1").Code)

	answered := make(chan int)
	go func() { answered <- post("m-2").Code }()
	<-sink.held
	require.Equal(t, "m-2", sink.heldID)
	select {
	case code := <-answered:
		t.Fatalf("the held message was answered (%d) before its release", code)
	case <-time.After(100 * time.Millisecond):
	}
	require.Equal(t, http.StatusNoContent, post("m-3").Code, "only the held message waits")
	close(sink.release)
	require.Equal(t, http.StatusNoContent, <-answered)

	require.Equal(t, http.StatusNoContent, post("m-2").Code, "a copy after the release")
	require.Equal(t, 2, sink.deliveries("m-2"))
	require.Equal(t, 1, sink.deliveries("m-1"))
	require.Equal(t, 0, sink.deliveries("never"))
}
