//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// execServer runs the server until it stops, where a process cannot replace
// itself (Windows; the Makefile needs WSL there, so this is for go run only).
func execServer(bin string, args []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}
