package spec

import (
	"os"
	"time"
)

// Patience bounds how long a test waits for something that happens in the
// background within milliseconds when the code is right: a delivery, a
// projection catching up, a relay changing its state. 10 s is far more than a
// loaded machine needs. Where a test is expected to fail, the wait that runs out
// is the expected outcome and only holds one of the few test runs at a time, so
// the kit shortens it: under mutation testing (tools/kit sets KIT_MUTANT) it is
// 3 s, and KIT_PATIENCE (a duration, "3s") sets it for any run, as make verify
// does for the starters and the known-wrong variants.
var Patience = patience()

func patience() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("KIT_PATIENCE")); err == nil && d > 0 {
		return d
	}
	if os.Getenv("KIT_MUTANT") != "" {
		return 3 * time.Second
	}
	return 10 * time.Second
}
