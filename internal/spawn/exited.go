package spawn

import (
	"fmt"
	"syscall"
)

// ExitedError is returned by Start when the child ended before it reported
// ready or failure: Status says how (Known is false if the system did not
// say), and Err is what the read of its answer met (EOF, say).
type ExitedError struct {
	PID    int
	Status syscall.WaitStatus
	Known  bool
	Err    error
}

// Error says which child ended, how, and what its answer's read met.
func (e *ExitedError) Error() string {
	how := "exit status 0"
	if err := statusError(e.Status, e.Known); err != nil {
		how = err.Error()
	}
	return fmt.Sprintf("spawn: child %d exited before it was ready (%s): %v", e.PID, how, e.Err)
}

// Unwrap returns what the read of the child's answer met.
func (e *ExitedError) Unwrap() error { return e.Err }
