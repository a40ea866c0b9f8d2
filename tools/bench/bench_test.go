package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

// The same benchmarks for `go test -bench . ./tools/bench` (and benchstat).

func BenchmarkStoreAppend1(b *testing.B)          { benchmark("store/seq/1").run(b) }
func BenchmarkByHandAppend1(b *testing.B)         { benchmark("hand/seq/1").run(b) }
func BenchmarkRawInsert1(b *testing.B)            { benchmark("raw/seq/1").run(b) }
func BenchmarkStoreAppend100(b *testing.B)        { benchmark("store/seq/100").run(b) }
func BenchmarkByHandAppend100(b *testing.B)       { benchmark("hand/seq/100").run(b) }
func BenchmarkRawInsert100(b *testing.B)          { benchmark("raw/seq/100").run(b) }
func BenchmarkStoreAppendScattered1(b *testing.B) { benchmark("store/scatter/1").run(b) }
func BenchmarkByHandScattered1(b *testing.B)      { benchmark("hand/scatter/1").run(b) }
func BenchmarkRawInsertScattered1(b *testing.B)   { benchmark("raw/scatter/1").run(b) }
func BenchmarkRawInsert100V4(b *testing.B)        { benchmark("raw/seq/100/v4").run(b) }
func BenchmarkRawInsert1Full(b *testing.B)        { benchmark("raw/seq/1/full").run(b) }
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
			t.Errorf("solutions/02-events/eventstore_append.go no longer prepares\n%s\nUpdate the by-hand side (tools/bench/append.go) to what the store does.", query)
		}
	}
}

// Every benchmark runs (a few operations each), so that a broken one fails
// `make test` instead of a presenter's `make bench`.
func TestEveryBenchmarkRuns(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "3x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	for _, b := range benches {
		if _, err := nsPerEvent(b.bench); err != nil {
			t.Errorf("%s: %v", b.name, err)
		}
	}
}

func TestEveryComparisonNamesABenchmark(t *testing.T) {
	for _, s := range sections {
		for _, p := range s.pairs {
			for _, name := range []string{p.first, p.second} {
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
