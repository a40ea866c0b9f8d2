//go:build unix

package main

import (
	"os"
	"syscall"
)

// execServer replaces this process with the server, as make run-stageN's
// `exec` does: Ctrl-C and every other signal reach the server, and only it.
func execServer(bin string, args []string) error {
	return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
}
