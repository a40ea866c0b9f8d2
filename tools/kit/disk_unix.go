//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// freeBytes reports the free space of the file system holding dir (or its nearest existing parent).
func freeBytes(dir string) (uint64, error) {
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
