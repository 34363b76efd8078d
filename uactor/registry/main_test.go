package registry_test

import (
	"os"
	"testing"

	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main() // in a spawned worker (or registry), this runs the actor
	os.Exit(m.Run())
}
