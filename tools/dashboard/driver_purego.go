//go:build !cgo

package dashboard

import (
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the pure-Go driver the stages use without a C compiler
)

const driverName = "sqlite"

// readOnlyDSN is a modernc.org/sqlite connection string that can only read.
func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	q.Add("_pragma", "query_only(1)")
	return fileURI(path, q)
}
