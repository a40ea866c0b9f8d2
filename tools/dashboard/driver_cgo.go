//go:build cgo

package dashboard

import (
	"fmt"
	"net/url"

	_ "github.com/mattn/go-sqlite3" // the driver the stages use when cgo works
)

const driverName = "sqlite3"

// readOnlyDSN is a mattn/go-sqlite3 connection string that can only read.
func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_query_only", "1")
	return fileURI(path, q)
}
