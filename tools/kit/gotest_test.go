package main

import "testing"

func TestTaskOfTest(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Test2_3_Foo", "2.3"},
		{"Test12_10_AppendRefusesAStaleVersion", "12.10"},
		{"Test1_1_X", "1.1"},
		{"TestGuard_ServerStarts", ""},
		{"TestFoo", ""},
		{"Test2_3", ""},      // no name after the task
		{"Test2_Foo", ""},    // no task number
		{"Test2.3_Foo", ""},  // not a Go test name
		{"XTest2_3_Foo", ""}, // anchored at the start
		{"", ""},
	}
	for _, tt := range tests {
		if got := taskOfTest(tt.name); got != tt.want {
			t.Errorf("taskOfTest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
