package keyring

import "testing"

func TestKeyringHoldsWhileReferenced(t *testing.T) {
	var k Keyring
	key := []byte("OtherSecret")
	id1, r1 := k.Add(key)
	id2, r2 := k.Add(key)
	if id1 != id2 {
		t.Fatalf("one key got two own ids: %x, %x", id1, id2)
	}
	if got, ok := k.Lookup(id1); !ok || string(got) != "OtherSecret" {
		t.Fatalf("Lookup = %q, %v", got, ok)
	}
	r1()
	r1() // idempotent: must not drop r2's hold
	if _, ok := k.Lookup(id1); !ok {
		t.Fatal("key dropped while still held")
	}
	r2()
	if _, ok := k.Lookup(id1); ok {
		t.Fatal("key kept after the last release")
	}
}

// Ids are random, not derived from the key: the same key held afresh gets
// another id, and an id learned from a peer names the key only while it is
// held.
func TestKeyringIDs(t *testing.T) {
	var k Keyring
	key := []byte("a")
	id1, r1 := k.Add(key)
	r1()
	id2, r2 := k.Add(key)
	defer r2()
	if id1 == id2 {
		t.Fatalf("the same key got the same id twice (%x): ids must be random", id1)
	}
	peer := KeyID{1, 2, 3}
	if _, ok := k.Lookup(peer); ok {
		t.Fatal("an unknown id found a key")
	}
	k.Learn(key, peer)
	if got, ok := k.Lookup(peer); !ok || string(got) != "a" {
		t.Fatalf("learned id: Lookup = %q, %v", got, ok)
	}
	k.Learn([]byte("not held"), KeyID{9})
	if _, ok := k.Lookup(KeyID{9}); ok {
		t.Fatal("an id was learned for a key not held")
	}
	inherited := KeyID{7}
	r3 := k.AddAs([]byte("b"), inherited)
	if got, ok := k.Lookup(inherited); !ok || string(got) != "b" {
		t.Fatalf("AddAs: Lookup = %q, %v", got, ok)
	}
	r3()
	r2()
	if _, ok := k.Lookup(peer); ok {
		t.Fatal("a learned id outlived its key")
	}
}

// Holding a key again takes its one id: an id drawn for it would name the
// key for as long as it is held, though no ref ever names it, so that a
// process that keeps a key and connects with it again and again would grow
// its keyring without end.
func TestKeyringHoldingAgainAddsNoID(t *testing.T) {
	var k Keyring
	_, r1 := k.Add([]byte("a"))
	defer r1()
	for range 100 {
		_, r := k.Add([]byte("a"))
		r()
	}
	if n := k.Known(); n != 1 {
		t.Fatalf("one key held again and again is known by %d ids; want 1", n)
	}
}

// A learned id, and one a ref uses, names its key only until every hold on
// it is released: a process that keeps a key and reaches one peer after
// another must not keep an id for each. An id the key is known by for as
// long as it is held (its own, AddAs's) stays.
func TestKeyringLearnedIDsGoWithTheirHolders(t *testing.T) {
	var k Keyring
	key := []byte("a")
	own, r := k.Add(key)
	defer r()
	peer := KeyID{1}
	forget := k.Learn(key, peer)
	got, unuse, ok := k.Use(peer)
	if !ok || string(got) != "a" {
		t.Fatalf("Use of a learned id = %q, %v", got, ok)
	}
	forget()
	forget() // idempotent: must not drop Use's hold
	if _, ok := k.Lookup(peer); !ok {
		t.Fatal("a learned id dropped while a ref uses it")
	}
	unuse()
	if _, ok := k.Lookup(peer); ok {
		t.Fatal("a learned id kept after its last holder let go")
	}
	k.Learn(key, own)()
	_, unuse, _ = k.Use(own)
	unuse()
	if _, ok := k.Lookup(own); !ok {
		t.Fatal("the key's own id dropped by a holder's release")
	}
	if n := k.Known(); n != 1 {
		t.Fatalf("the keyring knows %d ids; want 1, the key's own", n)
	}
}
