package main

import "testing"

// The same benchmarks for `go test -bench . ./tools/bench` (and benchstat).

func BenchmarkStoreAppend1(b *testing.B)     { benchAppend(1)(b) }
func BenchmarkRawInsert1(b *testing.B)       { benchRawInsert(1, newV7, "NORMAL")(b) }
func BenchmarkStoreAppend100(b *testing.B)   { benchAppend(100)(b) }
func BenchmarkRawInsert100(b *testing.B)     { benchRawInsert(100, newV7, "NORMAL")(b) }
func BenchmarkRawInsert100V4(b *testing.B)   { benchRawInsert(100, newV4, "NORMAL")(b) }
func BenchmarkRawInsert1Full(b *testing.B)   { benchRawInsert(1, newV7, "FULL")(b) }
func BenchmarkStoreLoad1000(b *testing.B)    { benchLoad(1000)(b) }
func BenchmarkRawLoad1000(b *testing.B)      { benchRawLoad(1000)(b) }
func BenchmarkStoreReadAll1000(b *testing.B) { benchReadAll(1000)(b) }
func BenchmarkRawReadAll1000(b *testing.B)   { benchRawReadAll(1000)(b) }
