package addr

import "sync"

// Captures rewrites addresses: while a capture is held, refs naming one of its
// addresses are reached at its target instead (uActor's capture list:
// an actor that listens on 0.0.0.0:7000 is reached at localhost:7000).
// Addresses match in canonical form (see Canonical), however each was
// spelled. The zero value is ready to use. When several captures name the
// same address (the same deployment on two hosts: actors on 0.0.0.0:7000
// on each), a ref is reached at the target of the latest one held that
// reached the actor it names, if any, and else at the latest one's.
type Captures struct {
	mu    sync.Mutex
	rules map[string][]*rule
}

type rule struct {
	to    string
	actor [16]byte // the id of the actor reached at to
}

// Add rewrites each of from to to, where actor (its id) was reached, until
// the returned release is called (release is idempotent).
func (t *Captures) Add(from []string, to string, actor [16]byte) (release func()) {
	r := &rule{to: to, actor: actor}
	t.mu.Lock()
	if t.rules == nil {
		t.rules = map[string][]*rule{}
	}
	from = canonical(from)
	for _, f := range from {
		t.rules[f] = append(t.rules[f], r)
	}
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			for _, f := range from {
				rs := t.rules[f]
				for i, x := range rs {
					if x == r {
						rs = append(rs[:i:i], rs[i+1:]...)
						break
					}
				}
				if len(rs) == 0 {
					delete(t.rules, f)
				} else {
					t.rules[f] = rs
				}
			}
		})
	}
}

// Rewrite returns the address to reach a at, for a ref to actor (its id),
// and whether a capture applied.
func (t *Captures) Rewrite(a string, actor [16]byte) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.rules) == 0 {
		return a, false
	}
	rs := t.rules[matchKey(a)]
	if len(rs) == 0 {
		return a, false
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].actor == actor {
			return rs[i].to, true
		}
	}
	return rs[len(rs)-1].to, true
}

// canonical returns the match keys of addrs, in a new slice.
func canonical(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = matchKey(a)
	}
	return out
}

// matchKey is a's canonical form, or a as it is if it has none (a
// relative socket path, say), which then matches only itself.
func matchKey(a string) string {
	if c, err := Canonical(a); err == nil {
		return c.String()
	}
	return a
}
