package registry

import (
	"strconv"
	"testing"
)

// BenchmarkGroupListed groups a listing of 10 000 spellings of one Unix
// actor ("/a/./s.sock", "/a/././s.sock", …): the work is to stay linear
// in the listing's length, however its spellings fall on actors.
func BenchmarkGroupListed(b *testing.B) {
	addrs := make(Addresses, 10_000)
	for i := range addrs {
		addrs[i] = "unix:///tmp/a/" + strconv.Itoa(i) + "/../s.sock"
	}
	for b.Loop() {
		if got := groupListed(addrs); len(got) != 1 || len(got[0].dial) != len(addrs) {
			b.Fatalf("%d actors, the first with %d spellings; want 1 with %d", len(got), len(got[0].dial), len(addrs))
		}
	}
}
