// Package uactor runs typed actors, each in an OS process of its own, that
// call each other over authenticated, multiplexed frames on Unix sockets or TCP.
//
// A kind declares how to build an actor; Expose declares its methods; both
// live in package-level vars, so that the binary, re-executed as the actor's
// process, knows them too:
//
//	var (
//		Counters = uactor.Define("counter", newCounter)
//		Add      = uactor.Expose(Counters, "add", (*Counter).Add)
//	)
//
//	func main() {
//		uactor.Main() // first: in a spawned child, this runs the actor
//		c, err := uactor.Spawn(ctx, Counters, 0)
//		...
//		n, err := Add.Call(ctx, c, 1)
//	}
//
// Spawn starts an actor in a new process and returns its owner's Ref; Connect
// reaches an actor that another process started, by address and authkey;
// Host serves a value as an actor inside the current process; Standby keeps
// processes started ahead of need, so that a Spawn skips the start. A Ref is a
// value that can travel inside requests and responses: a process that
// decodes one must hold the actor's key (the spawn tree's own key, or one
// taught by Connect), or it gets an *AuthKeyError, and Capture rewrites
// the addresses refs name to ones this process can reach.
//
// A call carries its context: the handler's context has the caller's
// deadline and the metadata set with WithMetadata, and passes both on to the
// calls the handler makes with it. Interceptors (ClientInterceptors,
// ServerInterceptors) wrap calls on either end, so that tracing, metrics and
// auth plug in as they do in gRPC. Logger sets where the library's own
// records go.
//
// # Messages
//
// Requests, responses and spawn arguments travel without reflection: the
// built-in scalars, string, []byte, Lent, time.Time, time.Duration, Empty
// and Ref; slices and maps of the built-ins (PROTOCOL.md lists them); types
// whose codecs github.com/tinylib/msgp generated
// (//go:generate go run github.com/tinylib/msgp@latest -io=false),
// recognised by their MarshalMsg and UnmarshalMsg methods, so that this
// module does not depend on msgp; and types with AppendBinary (or
// MarshalBinary) and UnmarshalBinary. A type with several codecs travels by
// the first of: built-in, AppendBinary, MarshalBinary, msgp. Define and
// Expose choose each codec once, and panic at start-up, with the line to
// add, for a type that cannot travel (for one with half a codec, the
// method it lacks). A type's encoding method that returns an error or
// panics fails the one value on the side that encoded it: Call without
// sending the request, Spawn without starting a process, and, for a
// response, the call with a *RemoteError that says so, while the actor
// serves on.
//
// A value arrives as it was sent but for what the wire does not tell
// apart. A []byte or Lent arrives non-nil, empty if it was nil; an empty
// slice of built-ins arrives as nil, and a map, nil or empty, as an empty
// map. A time.Time keeps its instant, to the nanosecond, and its zone
// offset, but not its Location's name or rules nor its monotonic clock
// reading: it arrives in UTC if it was in UTC (or at one of the few
// offsets that time's binary form cannot hold: PROTOCOL.md lists them),
// else in time.Local if the receiver's local zone has its offset at that
// instant, else in a fixed zone (compare times with Equal, not ==).
// Floats keep their bits, −0 and NaN payloads included.
//
// Decoding checks that a count claims no more elements than bytes follow,
// but msgp's generated code makes a slice as long as its count before it
// decodes an element, whose size this package cannot see: a frame of
// MaxFrameSize bytes may ask for MaxFrameSize elements (16 GiB, at the
// default 16 MiB, for a slice of structs holding a [128]int64). Bound msgp
// types' slices and maps with msgp's //msgp:limit arrays:N maps:N line (or
// a field's msg:"name,limit=N" tag) so that N elements fit in memory, or
// keep MaxFrameSize low enough for the largest element. The bytes a type's
// UnmarshalMsg or UnmarshalBinary is given may be reused once it returns, as
// encoding.BinaryUnmarshaler allows: it copies what it keeps, so msgp's
// zerocopy option, whose fields point into those bytes, is not for types
// that travel.
//
// A value that arrives belongs to its receiver: a handler may keep its
// request (a []byte or string too) after it returns, and a caller its
// response. Call does not keep req, whose bytes may be reused once Call
// returns; a handler must not change a []byte response after returning it.
// A []byte of under 256 bytes that arrives (alone, or in a slice or a map)
// is carved from a 4 KiB block shared with others that arrived, so that it
// costs a fraction of an allocation; it is still its receiver's alone (its
// capacity ends at its length), but keeping it keeps its block from the
// collector (a handler that keeps a few of many small requests keeps copies:
// bytes.Clone). Anything else costs each side an allocation for what it
// receives, and with payloads of hundreds of kilobytes that allocation sets
// how often the garbage collector runs in both processes (BENCHMARKS.md in
// the repository has figures). Two opt-ins take it away: a handler whose
// request is a Lent borrows it until it returns, and Recycle gives the array
// of a value that arrived back for a later payload. Otherwise GOGC and
// GOMEMLIMIT give the collector more room: a spawned actor inherits them
// from its owner's environment, and its constructor, which runs in its own
// process, may call debug.SetGCPercent there.
//
// # Errors
//
// Errors a handler returns come back as *RemoteError, or, for errors
// registered with RegisterError, as errors that match the registered
// sentinel with errors.Is. PROTOCOL.md in the repository describes the wire.
package uactor
