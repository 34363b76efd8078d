package uactor

import (
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
