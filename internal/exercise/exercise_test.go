package exercise

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// stub plays the part of a generated stub: Todo must name this file, not exercise.go.
func stub() error { return Todo("3.2") }

func TestTodoNamesTaskAndCallersFile(t *testing.T) {
	err := stub()
	te, ok := IsTodo(err)
	require.True(t, ok)
	require.Equal(t, "3.2", te.Task)
	require.True(t, strings.HasSuffix(te.File, "/exercise_test.go"), "File = %q", te.File)
	require.Equal(t,
		"task 3.2 is not done yet: open "+te.File+" (look for TODO(3.2)); stuck? run: make hint TASK=3.2",
		err.Error())
}

// stretchStub plays the part of a stretch task's stub.
func stretchStub() error { return Stretch("1.3") }

func TestStretchIsATodoThatSaysItIsOptional(t *testing.T) {
	err := stretchStub()
	te, ok := IsTodo(fmt.Errorf("transfer: %w", err))
	require.True(t, ok)
	require.True(t, te.Stretch)
	require.Equal(t, "1.3", te.Task)
	require.True(t, strings.HasSuffix(te.File, "/exercise_test.go"), "File = %q", te.File)
	require.Equal(t,
		"stretch task 1.3 is not done yet: open "+te.File+" (look for TODO(1.3)); stuck? run: make hint TASK=1.3",
		err.Error())
	parsed, ok := ParseTodo("request failed error=" + err.Error())
	require.True(t, ok, "the tests find a stretch stub's message in a log line")
	require.Equal(t, "1.3", parsed.Task)
	require.Equal(t, te.File, parsed.File)
	require.True(t, parsed.Stretch, "a stretch stub's message parses as a stretch task's")
	plain, _ := IsTodo(stub())
	require.False(t, plain.Stretch, "Todo is a required task's stub")
	parsedPlain, ok := ParseTodo(stub().Error())
	require.True(t, ok)
	require.False(t, parsedPlain.Stretch, "a required task's message parses as one")
}

func TestIsTodoUnwraps(t *testing.T) {
	wrapped := fmt.Errorf("open account: %w", fmt.Errorf("repository: %w", stub()))
	te, ok := IsTodo(wrapped)
	require.True(t, ok)
	require.Equal(t, "3.2", te.Task)

	joined := errors.Join(errors.New("other"), stub())
	_, ok = IsTodo(joined)
	require.True(t, ok)

	for _, err := range []error{nil, errors.New("task 3.2 is not done yet"), fmt.Errorf("x: %w", errors.New("y"))} {
		te, ok := IsTodo(err)
		require.False(t, ok, "%v", err)
		require.Nil(t, te)
	}
}

func TestKitRelative(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/home/ada/kit/stages/03-aggregates/account.go", "stages/03-aggregates/account.go"},
		{"/home/ada/kit/solutions/03-aggregates/account.go", "solutions/03-aggregates/account.go"},
		// -trimpath gives module paths.
		{"github.com/go-es-workshop/kit/stages/02-events/replay.go", "stages/02-events/replay.go"},
		// A kit checked out under a folder that is itself called stages.
		{"/home/ada/stages/kit/stages/01-crud/bank.go", "stages/01-crud/bank.go"},
		{"/home/ada/kit/internal/web/decode.go", "/home/ada/kit/internal/web/decode.go"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, kitRelative(tt.in), tt.in)
	}
}
