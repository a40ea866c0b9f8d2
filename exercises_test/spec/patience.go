package spec

import (
	"os"
	"time"
)

// Patience bounds how long a test waits for something that happens in the
// background within milliseconds when the code is right: a delivery, a
// projection catching up, a relay changing its state. 10 s is far more than a
// loaded machine needs. Under mutation testing (tools/kit sets KIT_MUTANT) it is
// 3 s: a mutant only has to fail, and each wait it makes run out holds one of
// the few test runs at a time for that long.
var Patience = patience()

func patience() time.Duration {
	if os.Getenv("KIT_MUTANT") != "" {
		return 3 * time.Second
	}
	return 10 * time.Second
}
