package uactor

import (
	"strings"
	"testing"
)

// An address an actor names in its info is kept for Connect's ref to
// carry only if a ref's decoder takes it: one that every receiver refuses
// would make the ref useless once it travels, where the address dialled
// serves.
func TestCarriableAdvertisedAddress(t *testing.T) {
	for _, tc := range []struct {
		adv  string
		want bool
	}{
		{"tcp://host.example:7000", true},
		{"tcp://127.0.0.1:7000", true},
		{"unix:///run/a.sock", true},
		{"unix://@abstract", true},
		{"tcp://0.0.0.0:7000", false}, // all interfaces
		{"tcp://[::]:7000", false},
		{"tcp://:7000", false},
		{"tcp://host.example:0", false}, // any port: no ref names it
		{"unix://rel.sock", false},      // read against the receiver's directory
		{"unix://" + "/" + strings.Repeat("a", 1100), false},
		{"not an address", false},
		{"", false},
	} {
		if got := carriable(tc.adv); got != tc.want {
			t.Errorf("carriable(%.40q) = %v; want %v", tc.adv, got, tc.want)
		}
		if !tc.want {
			continue
		}
		// What Connect keeps, a ref carries to a process that takes it.
		a, err := parseAddress(tc.adv)
		if err != nil || checkRefAddress(a) != nil {
			t.Errorf("%q: carriable, but a ref's decoder refuses it: %v, %v", tc.adv, err, checkRefAddress(a))
		}
	}
}
