package registry

// SetConnectedHook has f run as a pool's Connects have all returned, until
// the test ends.
func SetConnectedHook(t interface{ Cleanup(func()) }, f func()) {
	testHookConnected.Store(&f)
	t.Cleanup(func() { testHookConnected.Store(nil) })
}

// OpenConns returns how many connections p holds open: those of its
// actors, and those it left out that calls still use.
func OpenConns[Req, Resp any](p *ConnectedPool[Req, Resp]) int { return p.conns.open() }
