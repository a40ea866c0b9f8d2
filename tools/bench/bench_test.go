package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// The same benchmarks, one side at a time, for `go test -bench . ./tools/bench`
// (and benchstat).

func BenchmarkStoreAppend1(b *testing.B)          { benchmark("store/seq/1").run(b) }
func BenchmarkByHandAppend1(b *testing.B)         { benchmark("hand/seq/1").run(b) }
func BenchmarkRawInsert1(b *testing.B)            { benchmark("raw/seq/1").run(b) }
func BenchmarkRawInsert1Full(b *testing.B)        { benchmark("raw/seq/1/full").run(b) }
func BenchmarkStoreAppend100(b *testing.B)        { benchmark("store/seq/100").run(b) }
func BenchmarkByHandAppend100(b *testing.B)       { benchmark("hand/seq/100").run(b) }
func BenchmarkRawInsert100(b *testing.B)          { benchmark("raw/seq/100").run(b) }
func BenchmarkRawInsert100V4(b *testing.B)        { benchmark("raw/seq/100/v4").run(b) }
func BenchmarkStoreAppendScattered1(b *testing.B) { benchmark("store/scatter/1").run(b) }
func BenchmarkByHandScattered1(b *testing.B)      { benchmark("hand/scatter/1").run(b) }
func BenchmarkRawInsertScattered1(b *testing.B)   { benchmark("raw/scatter/1").run(b) }
func BenchmarkStoreLoad1000(b *testing.B)         { benchmark("store/load").run(b) }
func BenchmarkRawLoad1000(b *testing.B)           { benchmark("raw/load").run(b) }
func BenchmarkStoreReadAll1000(b *testing.B)      { benchmark("store/readall").run(b) }
func BenchmarkRawReadAll1000(b *testing.B)        { benchmark("raw/readall").run(b) }

func TestMain(m *testing.M) {
	code := m.Run()
	removeHistory()
	os.Exit(code)
}

// The by-hand side must issue exactly the store's SQL, or it measures something
// else: both statements must be in the store's source, up to whitespace.
func TestByHandIssuesTheStoresSQL(t *testing.T) {
	src, err := os.ReadFile("../../solutions/02-events/eventstore_append.go")
	if err != nil {
		t.Fatal(err)
	}
	store := strings.Join(strings.Fields(string(src)), " ")
	for _, query := range []string{versionSQL, insertSQL} {
		if !strings.Contains(store, strings.Join(strings.Fields(query), " ")) {
			t.Errorf("solutions/02-events/eventstore_append.go no longer prepares\n%s\nMake the by-hand side (tools/bench/append.go) do what the store does.", query)
		}
	}
}

// Every group runs (a few operations of each side), so that a broken benchmark
// fails `make test` instead of a presenter's `make bench`.
func TestEveryGroupRuns(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "3x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	for _, g := range groups {
		if _, err := measure(g); err != nil {
			t.Error(err)
		}
	}
}

// A broken side is reported with its reason, not as a time of zero.
func TestAFailingSideIsReported(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "3x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	wrong := workload{name: "wrong versions", open: sequential.open, appends: func(size int) func() (string, int64) {
		return func() (string, int64) { return "account-x", 7 }
	}}
	_, err := measure([]bench{{"store/wrong", storeAppends(wrong, 1), 1}})
	if err == nil || !strings.Contains(err.Error(), "store/wrong") || !strings.Contains(err.Error(), "concurrency") {
		t.Errorf("measure of a side whose appends fail: %v", err)
	}
}

func TestEveryComparisonNamesABenchmark(t *testing.T) {
	for _, s := range sections {
		for _, p := range s.pairs {
			for _, name := range []string{p.first, p.second} {
				if isOutboxSide(name) {
					continue // measured by measureOutbox, not in groups
				}
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s: %v", p.name, r)
						}
					}()
					benchmark(name)
				}()
			}
		}
	}
}

// Every side of the outbox's benchmarks handles the whole backlog (each checks
// its own count), and the relay delivers it within the side's minute.
func TestTheOutboxSidesHandleEveryEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("fills six databases")
	}
	best := map[string]float64{}
	if err := measureOutbox(1, best); err != nil {
		t.Fatal(err)
	}
	for _, s := range outboxSides {
		if best[s.name] <= 0 {
			t.Errorf("%s: no time measured", s.name)
		}
		t.Logf("%-22s %s per event", s.name, duration(best[s.name]))
	}
}

// isOutboxSide says whether name is measured on a log of its own: the outbox's
// sides (outbox.go) and the projector's (projections.go).
func isOutboxSide(name string) bool {
	for _, s := range outboxSides {
		if s.name == name {
			return true
		}
	}
	for _, s := range projectionSides {
		if s.name == name {
			return true
		}
	}
	return false
}

// Every side of the projector's benchmarks gets to the end of a small log, so
// that `make bench` does not find out first.
func TestTheProjectorSidesRun(t *testing.T) {
	for _, s := range projectionSides {
		took, err := onFreshLog(50, s.side)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		t.Logf("%-24s %s for 50 events", s.name, took)
	}
}
