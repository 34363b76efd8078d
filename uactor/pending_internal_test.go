package uactor

import (
	"math"
	"testing"
)

// The pending table finds a call by the id it gave, and by no other: not
// by the id of its slot's earlier use, nor by ids the table never gave (an
// actor's answer names any id it likes). A slot is used again once free.
func TestPendingCallsIDs(t *testing.T) {
	var p pendingCalls
	a, b := &call{}, &call{}
	idA, idB := p.add(a), p.add(b)
	if idA == 0 || idB == 0 || idA == idB {
		t.Fatalf("ids %#x and %#x: want two distinct, neither 0", idA, idB)
	}
	if cl, _ := p.take(idA); cl != a {
		t.Fatalf("take(%#x) = %p; want the call added", idA, cl)
	}
	c := &call{}
	idC := p.add(c) // a's slot again
	if uint32(idC) != uint32(idA) || idC == idA {
		t.Errorf("after a's slot was freed, the next call got %#x; want its slot %d under a new use", idC, uint32(idA))
	}
	for _, tc := range []struct {
		name string
		id   uint64
	}{
		{"the slot's earlier use", idA},
		{"zero", 0},
		{"a slot never used", uint64(1)<<32 | 7},
		{"the highest id", math.MaxUint64},
		{"a use still to come", idB + 1<<32},
	} {
		if s := p.slot(tc.id); s != nil {
			t.Errorf("%s (%#x) finds a call", tc.name, tc.id)
		}
		if cl, _ := p.take(tc.id); cl != nil {
			t.Errorf("%s (%#x) takes a call", tc.name, tc.id)
		}
	}
	if p.len() != 2 {
		t.Fatalf("len = %d after the ids that name nothing; want 2", p.len())
	}

	p.abandon(idB, 42)
	if cl, win := p.take(idB); cl != abandoned || win != 42 {
		t.Errorf("an abandoned call taken: %p, %d window bytes; want abandoned, 42", cl, win)
	}
	n := 0
	for s := range p.all() {
		if s.id != idC || s.cl != c {
			t.Errorf("all yields %#x, %p; want only %#x, c", s.id, s.cl, idC)
		}
		n++
	}
	if n != 1 || p.len() != 1 {
		t.Errorf("all yields %d calls, len %d; want 1, 1", n, p.len())
	}
}

// A slot's use count wraps past zero without giving id 0, which names the
// connection rather than a call.
func TestPendingCallsUseWraps(t *testing.T) {
	var p pendingCalls
	p.slots = []pendingSlot{{id: uint64(math.MaxUint32) << 32}}
	p.free = []uint32{0}
	if id := p.add(&call{}); id == 0 || uint32(id) != 0 {
		t.Fatalf("slot 0 after its last use count gave id %#x; want slot 0, not id 0", id)
	}
}
