package cqrs_test

import (
	"os"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/04-cqrs"
)

// TestMain lets the crash test run this stage's server in a child process.
func TestMain(m *testing.M) {
	spec.ServeIfChild(bank.NewServer)
	os.Exit(m.Run())
}

// Test4_4_ACrashLosesNoAcknowledgedDeposit: SIGKILL under load, then a restart on
// the same file: every deposit the server said yes to is still there.
func Test4_4_ACrashLosesNoAcknowledgedDeposit(t *testing.T) {
	spec.CheckACrashLosesNoAcknowledgedWrite(spec.For(t, stage), true)
}
