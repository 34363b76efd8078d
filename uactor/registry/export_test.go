package registry

// OpenConns returns how many connections p holds open: those of its
// actors, and those it left out that calls still use.
func OpenConns[Req, Resp any](p *ConnectedPool[Req, Resp]) int { return p.conns.open() }
