package spec

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// CountReads runs send and counts how many times it read the database on the
// reader pool (how many times a command loaded its account). The test takes every
// reader connection first, so each read has to wait for one; each time a read is
// seen waiting, the test hands it one connection and takes it back once it is done.
// A read cannot be missed: the answer is taken only while no read is waiting.
func (c *Check) CountReads(db *sqlitedb.DB, send func() Response) (int, Response) {
	c.t.Helper()
	var held []*sql.Conn
	for range db.Read.Stats().MaxOpenConnections {
		conn, err := db.Read.Conn(context.Background())
		c.NoError(err, "holding a reader (test setup)")
		held = append(held, conn)
	}
	defer func() {
		for _, conn := range held {
			_ = conn.Close()
		}
	}()
	done := make(chan Response, 1)
	baseline := db.Read.Stats().WaitCount
	go func() { done <- send() }()
	reads := 0
	for deadline := time.Now().Add(CallTimeout); time.Now().Before(deadline); {
		select {
		case r := <-done:
			return reads, r
		default:
		}
		if db.Read.Stats().WaitCount > baseline {
			reads++
			_ = held[0].Close() // the waiting read gets this connection
			conn, err := db.Read.Conn(context.Background())
			c.NoError(err, "taking the reader back (test setup)")
			held[0] = conn
			baseline = db.Read.Stats().WaitCount
			continue
		}
		time.Sleep(100 * time.Microsecond) // polling a counter, bounded by the deadline
	}
	c.Fail("an answer within the test's time", fmt.Sprintf("%d reads and no answer", reads))
	return reads, Response{}
}
