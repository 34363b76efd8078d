// Package registry is uActor's "Autodiscovery": a ready-made registry actor
// that any program can Spawn (or Host, or Connect to), where actors are
// registered by address and handed out round-robin, a client-side Pool
// that spreads calls over several actors, and discovery through DNS SRV
// records as well as through a registry.
//
//	reg, err := uactor.Spawn(ctx, registry.Kind, registry.Config{},
//		uactor.Listen("tcp://0.0.0.0:5000"), uactor.AuthKey(secret))
//	n, err := registry.Register.Call(ctx, reg, registry.Addresses{"tcp://localhost:41653"})
//
//	// elsewhere, in another process:
//	reg, err := uactor.Connect(ctx, registry.Kind, "localhost:5000", secret)
//	p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
//	if p.OK {
//		actor, err := uactor.Connect(ctx, MyKind, p.Address, secret)
//		...
//	}
//
// # Round-robin
//
// Like uActor's itertools.cycle over the registered set, Pick cycles over
// the registered addresses in registration order. Registering an address
// already there does not duplicate it; new addresses join the end of the
// cycle, and the cycle carries on where it was (it does not restart).
//
// # Liveness
//
// An actor that dies does not deregister itself, so the registry drops the
// addresses of actors that are gone, in two ways:
//
//   - Pick checks an address before handing it out, and moves on to the next
//     one if the check fails: a Pick never hands out an actor found dead
//     while live ones remain.
//   - A probe checks every address periodically (Config.ProbeInterval, every
//     second by default) and drops the dead ones, so that List stays true
//     between picks. Probe runs one on demand, in its turn: probes start
//     at most once per ProbeInterval or second, whichever is shorter.
//
// The check is a plain dial of the address (TCP or Unix socket) with a
// timeout (Config.DialTimeout), closed at once. It proves that a listener is
// there, costs one connection setup, and needs no authkey: the registry
// never learns the keys of the actors it lists, and no handshake or call
// runs in them. It does not prove that the listener is the actor that was
// registered (a port may be reused): the client's Connect, which
// authenticates and checks the kind, has the last word. A dial that is
// refused, or a socket file that no longer exists, drops the address at
// once if no check ever found its actor alive; if one did, the actor may be
// restarting (see uactor.Restart: it comes back at its address), so the
// address is dropped by the first check that still finds it refused
// DialTimeout after its checks began to fail, as a ref gives up on its
// actor, and skipped until then. A host name that no longer exists, or a
// Unix socket whose directory is gone, drops it at once; other failures (a
// timeout, say, from a swamped or unreachable host) skip the address for
// that Pick and drop it after three failed checks in a row. Concurrent
// checks of one address share one dial, and probes asked for before one
// begins share it (one asked for while a probe checks waits for the next:
// it is to see what its caller saw). A check judges the registration it
// dialled: an address deregistered and registered again while it dials is
// a new entry, which it neither drops nor vouches for; one registered again
// while still registered is not dropped, nor struck, for that dial's
// failure, which may predate the actor its registrant vouches for.
//
// What that guarantees, on a lossy link too:
//
//   - A Pick never hands out an actor that its own check did not find alive:
//     an actor whose process is gone is never handed out once it is gone
//     (only one that dies between the check and the caller's Connect).
//   - An actor supervised with Restart that a check found alive before it
//     died stays registered through a restart that takes less than
//     DialTimeout, and is handed out again once back: Picks check a
//     refused address in its turn, as a refusal comes at once.
//   - A Pick skips a live actor only if its dial gets no answer within
//     DialTimeout. The default timeout outlasts TCP's first SYN
//     retransmission, so one lost SYN (or SYN-ACK) delays the Pick by a
//     second and skips nothing; it takes two lost in a row. Once skipped,
//     it is a suspect until a check finds it alive again.
//   - A suspect, an address whose checks failed without proving its actor
//     gone, other than by a refusal, is tried by a Pick, while the
//     periodic probe runs, only once every other address has been: an
//     actor whose host stops answering costs up to DialTimeout the Pick
//     that finds it silent, and later Picks only when nothing else
//     answers. It is dropped after three failed checks in a row: within
//     about three probe intervals plus three dial timeouts, while no more
//     than 16 addresses are silent at once. A probe dials 16 at a time,
//     and the next starts when it ends, so with more silent addresses each
//     probe takes a dial timeout for every 16 of them (a key holder that
//     registers silent addresses slows the dropping of every dead entry,
//     within MaxEntries). With the probe off, Picks check suspects in
//     their turn, as the probe would.
//
// A key holder may register addresses, so the registry bounds how many it
// holds (Config.MaxEntries): each is dialled at every probe, and an
// unbounded set would let one caller make the registry dial any host, under
// many spellings of its address, thousands of times a second. For the same
// reason Probe, which a key holder may call as often as it likes, probes
// no more often than the periodic probe would.
//
// # Pool
//
// Pool binds a method to several refs and spreads calls over them
// round-robin, moving on to the next actor when a call could not reach one
// (see Pool for exactly which errors those are). PoolFromRegistry builds one
// from what a registry lists: uActor's actor-pool example, in one line.
//
// Pool takes any refs, not only discovered ones, yet it lives here: what it
// must decide (which failures prove a call did not run, when to try a ref
// again) is what a listing of actors that come and go needs, and every
// other pool of this package is built on it.
//
// # Sources: a registry, or DNS
//
// A Source lists actors' addresses: Registered (a registry actor's ref), At
// (a registry actor's address), or SRV (DNS SRV records, as a Kubernetes
// headless Service or Consul publishes them, through the standard library's
// resolver). ConnectFrom connects to one actor of a Source, PoolFrom builds
// a Pool over all of them that follows the Source as it changes. Moving a
// program from a registry to DNS is one line:
//
//	src := registry.At("reghost:5000", secret)           // a registry actor
//	src := registry.SRV{Name: "_workers._tcp.example.com"} // DNS SRV records
//	pool, err := registry.PoolFrom(ctx, src, 10*time.Second, Workers, secret, Work)
package registry
