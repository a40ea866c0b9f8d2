package spec

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Statuses counts the HTTP statuses of a batch of requests.
type Statuses map[int]int

// Concurrently sends n copies of one POST at the same moment (they wait on a
// shared start signal) and counts the answers.
func (a *API) Concurrently(n int, path string, body any) Statuses {
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := Statuses{}
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			r := a.Post(path, body)
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// String lists the counts, e.g. "10 × 200, 30 × 422".
func (s Statuses) String() string {
	codes := make([]int, 0, len(s))
	for code := range s {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d × %d", s[code], code)
	}
	return strings.Join(parts, ", ")
}
