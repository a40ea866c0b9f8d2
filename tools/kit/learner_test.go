package main

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// summaryOf captures what printSummary prints.
func summaryOf(t *testing.T, tasks []taskProgress) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	printSummary(stage{Number: 1, Slug: "01-crud"}, tasks, nil)
	require.NoError(t, w.Close())
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(out)
}

func TestTheSummaryOffersTheStretchTaskOnceTheStageIsDone(t *testing.T) {
	required := task{ID: "1.1", Title: "Deposit", File: "balance_updates.go"}
	stretch := task{ID: "1.3", Title: "Transfer in one transaction", File: "transfers.go", Optional: true}

	out := summaryOf(t, []taskProgress{{Task: required, Passed: 0, Total: 2}, {Task: stretch, Passed: 0, Total: 3}})
	require.Contains(t, out, "Next: task 1.1")
	require.NotContains(t, out, "Stretch task", "a stage not done yet offers its next task, not the stretch")

	out = summaryOf(t, []taskProgress{{Task: required, Passed: 2, Total: 2}, {Task: stretch, Passed: 0, Total: 3}})
	require.Contains(t, out, "Stage 1 done")
	require.Contains(t, out, "☆ 1.3 (stretch) Transfer in one transaction")
	require.Contains(t, out, "Stretch task 1.3 (optional): Transfer in one transaction, in stages/01-crud/transfers.go (look for TODO(1.3))")
	require.Contains(t, out, "make hint TASK=1.3")

	out = summaryOf(t, []taskProgress{{Task: required, Passed: 2, Total: 2}, {Task: stretch, Passed: 3, Total: 3}})
	require.Contains(t, out, "✓ 1.3 (stretch)")
	require.NotContains(t, out, "Stretch task", "a stretch task done is not offered again")
}
