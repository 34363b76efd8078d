//go:build !linux

package uactor

// memoryDir is a memory filesystem for socket directories; none is known
// here.
func memoryDir() string { return "" }
