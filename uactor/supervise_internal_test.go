package uactor

import (
	"math"
	"testing"
	"time"
)

func TestRestartBackoff(t *testing.T) {
	for _, c := range []struct {
		quick int
		want  time.Duration
	}{
		{0, 0}, {1, 0}, {2, 10 * time.Millisecond}, {3, 20 * time.Millisecond},
		{8, 640 * time.Millisecond}, {9, time.Second}, {1000, time.Second},
	} {
		if got := backoff(c.quick); got != c.want {
			t.Errorf("backoff(%d) = %v; want %v", c.quick, got, c.want)
		}
	}
}

// newTestSupervisor is a supervisor with policy pol and no process, for
// mayRestart alone.
func newTestSupervisor(pol restartPolicy) *supervisor {
	s := &supervisor{boot: &bootstrap{opts: options{restart: pol}}}
	s.state.Store(&supState{changed: make(chan struct{})})
	return s
}

// mayRestart allows max restarts over the actor's life when within is 0,
// and max within any window otherwise.
func TestRestartBudgetCount(t *testing.T) {
	for _, pol := range []restartPolicy{{3, 0}, {3, -time.Second}, {3, time.Hour}, {0, time.Hour}} {
		s := newTestSupervisor(pol)
		n := 0
		for ok := true; ok && n < 10; n++ {
			ok, _ = s.mayRestart()
		}
		if n-1 != pol.max {
			t.Errorf("Restart(%d, %v) allowed %d restarts", pol.max, pol.within, n-1)
		}
	}
}

// A budget over the actor's whole life keeps a count, not the time of each
// restart: "restart for ever", Restart(math.MaxInt, 0), would otherwise
// grow with every crash for as long as the actor lives.
func TestRestartLifelongBudgetKeepsNoTimes(t *testing.T) {
	s := newTestSupervisor(restartPolicy{max: math.MaxInt})
	for range 10000 {
		if ok, _ := s.mayRestart(); !ok {
			t.Fatal("a lifelong budget of MaxInt ran out")
		}
	}
	if n := len(s.restarts); n > 0 {
		t.Errorf("%d restart times kept for a lifelong budget", n)
	}
}
