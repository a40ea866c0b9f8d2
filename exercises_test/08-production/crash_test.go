package production_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/labstack/echo/v4"
)

// TestMain lets the crash test run this stage's server in a child process, its
// relay delivering to the test's webhook sink (spec.ChildWebhook).
func TestMain(m *testing.M) {
	spec.ServeIfChild(func(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
		// A short lease: after the SIGKILL, the restarted relay waits for the
		// killed one's lease to run out before it delivers.
		opts := bank.Options{Relay: bank.DefaultRelayConfig()}
		opts.Relay.LeaseTTL, opts.Relay.PublishTimeout, opts.Relay.PollInterval = 2*time.Second, 500*time.Millisecond, 100*time.Millisecond
		if url := spec.ChildWebhook(); url != "" {
			hook, err := bank.NewWebhook(url)
			if err != nil {
				return nil, err
			}
			opts.Publisher = hook
		}
		s, err := bank.Start(ctx, db, log, opts)
		if err != nil {
			return nil, err
		}
		return s.Echo, nil
	})
	os.Exit(m.Run())
}

// Test5_3_ACrashLosesNoMessage: SIGKILL under load, then a restart on the same
// file: every stored deposit is announced at least once, and nothing else is.
func TestGuard_ACrashLosesNoMessage(t *testing.T) {
	spec.CheckACrashLosesNoMessage(spec.Guard(t, stage, "outbox.go and relay.go", "a crash loses no message"))
}
