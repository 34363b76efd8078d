package uactor_test

import (
	"os"
	"testing"

	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main()
	if serveRawEcho() { // the raw-socket floor of the benchmarks, in a child
		return
	}
	if runParentMode() { // a middle process for the parent-death tests
		return
	}
	os.Exit(m.Run())
}
