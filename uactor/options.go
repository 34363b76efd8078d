package uactor

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"time"

	"github.com/uactor-go/uactor/internal/addr"
)

// Option configures a kind (given to Define, as the kind's defaults, like
// uActor's _options_), or one actor or connection (given to Spawn, Host or
// Connect, overriding the kind's defaults).
type Option func(*options)

type options struct {
	listen      string        // where a spawned or hosted actor listens
	advertise   string        // the address put into refs it hands out
	key         []byte        // nil: the process tree's key
	captures    []string      // Connect: addresses rewritten to the connected one
	grace       time.Duration // owner Close: how long in-flight calls may take
	serial      bool          // one call at a time in the actor
	seal        sealMode      // sealing of frames after the handshake
	maxFrame    int           // largest frame accepted or sent
	handshake   time.Duration // deadline for a connection's handshake
	dialTimeout time.Duration
	write       time.Duration // deadline for each write: a peer that stops reading is cut off
	keepalive   time.Duration // ping a connection silent this long; 0: never
	spin        time.Duration // retry an empty socket this long when a message is due; 0: never
	inflight    int           // calls in flight per connection
	maxConns    int           // authenticated connections an actor serves at once
	maxHS       int           // connections an actor holds in their handshake at once
	connBuffer  int           // per connection: request bytes held, and reply bytes queued
	compress    int           // >0: compress payloads from this size; 0: send plain; <0: refuse compressed input too
	restart     restartPolicy // Spawn: respawn on an exit the owner did not ask for
	output      io.Writer     // Spawn: where the actor's output lines go; nil: this process's stderr
	callTimeout time.Duration // a ref's calls without a deadline get this one; 0: none
	logger      *slog.Logger  // nil: slog.Default()
	clientIC    []ClientInterceptor
	serverIC    []ServerInterceptor
}

type sealMode uint8

const (
	sealDefault sealMode = iota // not set by an option: sealed
	sealAlways
	sealNever
)

func defaultOptions() options {
	return options{
		listen:      "unix",
		grace:       5 * time.Second,
		maxFrame:    16 << 20,
		handshake:   5 * time.Second,
		dialTimeout: 5 * time.Second,
		write:       10 * time.Second,
		keepalive:   15 * time.Second,
		spin:        50 * time.Microsecond,
		inflight:    1024,
		maxConns:    1024,
		maxHS:       64,
		connBuffer:  32 << 20,
	}
}

func (o options) with(opts []Option) options {
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// Listen sets where an actor listens: "unix" (the default: a socket in a
// fresh private 0700 directory), "unix:///path/to/socket", or TCP as
// "tcp://host:port" ("tcp://0.0.0.0:0" listens on all interfaces, on a free
// port that Ref.Address reports). An empty address is an error. A relative
// socket path ("unix://actor.sock") is made absolute against the working
// directory of the process that calls Spawn or Host, when it calls it, so
// that refs name that socket from any directory and after a Chdir.
//
// The private directory is made in TMPDIR if it is set, and only there;
// otherwise in XDG_RUNTIME_DIR if it is this user's and no one else may
// enter it, then (on Linux) in /dev/shm, a memory filesystem, and last in
// the system's temporary directory: the first that takes it. A
// spawned actor's owner removes the directory once the actor is gone. A
// hosted value's is removed by Close. One that a program left behind (it
// returned from main without Close, ended on a signal, or was killed, with
// its actors if it had any) is removed by a later process of the same user
// when it first hosts a value or spawns an actor there, if the directory
// is a minute old by then: a lock (flock) that the process that made it
// holds tells which directories are still in use, so a base directory
// shared between machines that do not share locks should not be.
func Listen(address string) Option { return func(o *options) { o.listen = address } }

// AuthKey sets the shared secret that both ends of every connection prove
// they hold. The default is a random key made once per process tree and
// inherited by spawned actors, so actors of one tree reach each other with no
// configuration. Refs handed out by an actor with its own key can only be used
// by processes that know that key (see Connect and Capture). An empty key
// is an error (ErrAuthKey).
//
// A key given here is stretched (PBKDF2, once per process while it is among
// the last 64 keys used; see PROTOCOL.md) so that each guess tested against
// a recorded handshake is costly, but a short key a person chose remains
// guessable offline: prefer NewKey for anything reachable from a network
// you do not trust. The first Spawn, Host or Connect with a key stretches
// it, unless its context has ended.
func AuthKey(key []byte) Option {
	k := append([]byte{}, key...) // never nil, so that an empty key is refused, not taken as "default"
	return func(o *options) { o.key = k }
}

// Capture is an option for Connect: refs that name any of addresses (for
// example the "tcp://0.0.0.0:7000" an actor listens on) reach the connected
// address instead, for as long as the connection's ref is open. An address
// with no host, as given to Listen ("tcp://:7000"), captures the refs of
// an actor listening there, which name 0.0.0.0. Addresses match however
// they are spelled: host names in any case, IP literals in any form. A
// relative socket path is read against the working directory when Connect
// is called, as Listen's is. Where several open Connects capture the same
// address (the same deployment on several hosts, each actor on
// 0.0.0.0:7000), a ref goes to the one that reached the actor it names,
// and, if none did, to the latest. Spawn and Host ignore Capture, though
// like every option it is checked wherever it is given, so a malformed one
// fails them with ErrOption too; given to Define, it applies to each
// Connect to the kind.
func Capture(addresses ...string) Option {
	a := append([]string(nil), addresses...)
	return func(o *options) { o.captures = append(o.captures[:len(o.captures):len(o.captures)], a...) }
}

// Advertise sets the address an actor puts into refs that it hands out, in
// place of the one it listens on: a listener on 0.0.0.0 can advertise a
// host name that other machines reach. Port 0 stands for the port the actor
// bound, so "tcp://myhost:0" goes with Listen("tcp://0.0.0.0:0"), and is
// an error (ErrOption) with a Listen that binds no TCP port. An address with
// no host, or with an address of all interfaces (0.0.0.0, ::), names nothing
// another process can dial, and is an error too. A relative socket path is
// made absolute as Listen's is. The default, "", advertises the address the
// actor listens on.
func Advertise(address string) Option { return func(o *options) { o.advertise = address } }

// GracePeriod sets how long an owner's Close lets in-flight calls run before
// the actor's process is killed. The default is 5 seconds; 0 gives them none:
// their contexts are cancelled at once.
func GracePeriod(d time.Duration) Option { return func(o *options) { o.grace = d } }

// Serial makes the actor run one call at a time, in arrival order across all
// its connections, like a mailbox. By default calls run concurrently.
func Serial() Option { return func(o *options) { o.serial = true } }

// Sealed turns sealing of frames (AES-GCM under per-connection keys) on or
// off. By default every connection is sealed after its handshake, Unix
// sockets included: a ref, a registry entry or an address in any message
// can point a client at a relay, and a relay that cannot seal can then
// neither read nor inject. Only the owner's private connection to an actor
// it spawned (a socketpair no one else holds) goes plain. Sealing is in
// force when either end asks for it, so Sealed(false) takes effect only
// between two ends that both turned it off: for trusted networks only.
func Sealed(on bool) Option {
	return func(o *options) {
		o.seal = sealNever
		if on {
			o.seal = sealAlways
		}
	}
}

// MaxFrameSize bounds the size of one frame (a request or a response with a
// few bytes of header), in both directions. Each end of a connection
// announces its bound, and sends nothing larger than the other's: a request
// or a response over the smaller bound fails its own call, with
// ErrTooLarge, and the connection carries on. The default is 16 MiB; n must
// be between 4 KiB and 1 GiB. Frames
// over 4 MiB are allocated as their bytes arrive, so a peer that declares a
// large frame and stalls holds at most 4 MiB of this end's memory.
func MaxFrameSize(n int) Option { return func(o *options) { o.maxFrame = n } }

// HandshakeTimeout bounds the whole handshake of a connection, however the
// peer paces its bytes. The one exception is an actor's rejection of a
// wrong proof, which leaves after the delay that makes guessing slow, and
// has a second of its own to be written. The default is 5 seconds; d must
// be positive, since an unbounded handshake would let a silent peer hold a
// connection for ever.
func HandshakeTimeout(d time.Duration) Option { return func(o *options) { o.handshake = d } }

// DialTimeout bounds connecting to an actor (before the handshake), and how
// long a dial is tried again: to reconnect after a connection broke, or when
// the actor turned a new connection away, before its handshake began or
// before its verdict (see MaxHandshakes). A ref that names its actor (a
// copy received in a message, or one whose connection broke) also tries
// again, from 10 ms and doubling up to 250 ms between tries, while the
// actor refuses it at its MaxConnections bound; once DialTimeout has
// passed so, the ref counts the actor as gone (see Ref.Done), unless its
// own process hosts the actor: then that call fails as busy, and the next
// one tries again. An actor that stops for good says so as it closes its
// connections, and a ref that hears it does not dial it again. The
// default is 5 seconds; d must be positive: a dial is
// shared by every caller of the connection and runs on its own clock, not
// on one caller's context.
func DialTimeout(d time.Duration) Option { return func(o *options) { o.dialTimeout = d } }

// WriteTimeout bounds each write to a connection: a write that the peer
// has not taken in full after d fails, and the connection is closed, so a
// peer that stops reading is cut off and what waits for it in memory stays
// bounded. One write carries a frame, or every frame that queued while the
// write before it waited: over a slow link, d must exceed the time the
// largest such write takes to cross. The default is 10 seconds; 0 sets no
// write deadline (keepalive, if on, still finds a peer that went silent,
// except while an actor has stopped reading at its ConnBuffer bound: see
// Keepalive). With Keepalive off as well, a write to a peer that takes
// nothing waits until the peer closes its socket, for ever if it never
// does, and holds up what that connection's reader would do next.
// A caller whose context ends while its request waits to be written
// returns at once all the same: the rest of the request is written behind
// it, as the frames on a connection cannot be abandoned halfway.
func WriteTimeout(d time.Duration) Option { return func(o *options) { o.write = d } }

// Keepalive makes each end ping a connection that has been silent for d, and
// drop it if the peer stays silent for d more: a half-open connection (a
// peer that vanished without closing, or stopped) is found, and calls in
// flight on it fail with ErrActorDied. Each end looks every d, a look up to
// d/4 late. A peer whose large frame is still arriving is not silent, nor
// is one busy reading what this end sent, however slowly: on Linux, each
// look also asks the socket whether the peer took bytes that were waiting
// for it, and whether bytes from the peer wait unread while this end is
// busy with what it read (the peer, which may be held up by that, is then
// treated as while paused, below). While an actor has stopped reading a
// connection at its ConnBuffer bound (for its replies to leave, or at the
// request bound with a call next that it cannot take yet: waiting there
// for the peer's next frame, it reads, and a silent peer is dropped as
// anywhere else), the peer's silence is the actor's own doing: it pings
// the peer every d instead (which keeps a peer whose own period is no
// shorter), or lets the answers on their way out tell the peer as much,
// and drops it only once the socket reports that the peer hung up (on
// Linux; elsewhere, two periods after it reads again). The default is 15 seconds; 0 turns pings off, and an actor
// stopped at its bound then looks for the peer's hang-up every second.
func Keepalive(d time.Duration) Option { return func(o *options) { o.keepalive = d } }

// Spin sets how long a connection that expects a message soon retries its
// empty socket before it sleeps: a caller waiting for the reply to its one
// call in flight, or an actor that has just answered a caller who sends one
// call at a time. A message that lands meanwhile is taken without putting
// a thread and its CPU to sleep and waking them again, which on an idle
// machine costs more than the round trip itself (BENCHMARKS.md in the
// repository has figures). The price is CPU: up to d on each end after
// each message.
//
// Spinning adapts. A spin that finds nothing, or loses its CPU (most
// likely to the peer it waits for), makes later ones rarer, down to one
// read in 17; a connection with several calls in flight does not spin,
// nor one whose last exchange read over 64 KiB (waking is then a small
// part of the time, and the copies need the CPU). A process that may run
// on one CPU only (GOMAXPROCS 1) does not spin either: on Linux it yields
// the CPU once, so that the peer, which most likely waits for it, answers
// at once.
//
// In a bulk transfer (inside a frame with over 64 KiB still to come, or
// waiting for the next message after such an exchange) a read that finds
// nothing waits in the kernel, on Linux, for up to 2 ms before it sleeps in
// the runtime's poller: with more than one CPU, the collections that
// megabytes bring make the runtime slow to run a goroutine that the poller
// wakes, but not a thread back from a system call. A deadline or a close
// then takes effect when that wait ends. A process that may run on one CPU
// only sleeps in the poller at once. The default is 50µs; 0 turns all of
// this off.
func Spin(d time.Duration) Option { return func(o *options) { o.spin = d } }

// MaxInFlight bounds the calls in flight on one connection. A caller over the
// bound waits (for its context) until a call finishes; an actor answers calls
// over the bound with ErrBusy without running them, so a flood from one peer
// cannot grow its goroutines. A call holds its slot in the actor until its
// answer has left, so answers queued for a peer that does not read count
// too; a call that arrives while the slots are full but some answers are on
// their way out waits for them rather than failing. The default is 1024; n
// must be at least 1.
func MaxInFlight(n int) Option { return func(o *options) { o.inflight = n } }

// MaxConnections bounds the authenticated connections an actor serves at
// once, its owner's private connection among them (which counts, but is
// never refused: a key holder may take the last slot before the actor's
// process serves its owner). A connection beyond it
// is refused in its handshake, once its peer proved the key, and told why:
// Connect then fails at once with an error that matches ErrBusy, not
// ErrActorDied, since the actor is alive; a ref that names the actor tries
// again, backing off, for up to DialTimeout.
// The actor records the refusals at Info, at most one a second.
// Connections still in their handshake do not count (see MaxHandshakes).
// The default is 1024; n must be at least 1.
func MaxConnections(n int) Option { return func(o *options) { o.maxConns = n } }

// MaxHandshakes bounds the connections an actor holds in their handshake at
// once. When they are that many, a new connection takes the place of one
// whose peer has not sent its whole hello (the oldest such), or else of
// the one that has waited longest for its proof, so that silent or
// dripping connections from peers without the key cannot keep a key holder
// out; if none is waiting, the new one is closed. Goroutines serving
// handshakes, those of evicted connections still ending included, are at
// most twice n: beyond that, new connections wait in the listener's backlog
// until one ends. Connections whose proof was wrong, waiting for their
// rejection (which comes slowly, to slow a guesser), wait outside n, in a
// penalty box of 1024 an actor, so that they do not keep key holders out:
// a goroutine and a descriptor each, for a few seconds at most. A client whose connection was closed so, before the
// actor's first handshake bytes or before its verdict, dials again (until
// DialTimeout has passed), so a key holder that was slow to send its hello
// or its proof during a flood gets in on a later try. The default is 64; n
// must be at least 1.
func MaxHandshakes(n int) Option { return func(o *options) { o.maxHS = n } }

// ConnBuffer bounds what one connection can make an actor hold, in bytes:
// the requests of its calls that have not finished (counted decompressed),
// and, separately, the replies queued for a peer that reads slowly. Past
// either bound the actor stops reading that connection until it drains
// (backpressure), and other connections are served as before. At the
// request bound it still reads frames that hold nothing (cancels, pings)
// while no call comes first, since a call that holds the bound may wait
// for its cancel. The actor announces the bound to each client, whose
// calls past it wait at the caller, so that no call comes first there;
// but a Lent request whose handler an interceptor left running when it
// answered counts until that handler returns, which its caller cannot
// know, so at the bound the connection's calls wait for it (see
// ServerInterceptors). One
// frame may overshoot a bound (so it is never smaller in effect than
// MaxFrameSize), and the queued replies one per call in flight, as
// handlers that end together each pass the check before they queue (see
// MaxInFlight). The bound is of bytes: decoded, a request can take more
// memory than its bytes, up to 48 bytes a byte for the built-in slices and
// maps (a map[string][]byte of empty entries; a []string of empty strings
// takes 16); an actor whose methods take such types sizes ConnBuffer with
// that in mind. A client bounds itself likewise by its own ConnBuffer: its
// requests queued for an actor that reads slowly, not yet written, whatever
// window the actor announced. Past it a call waits for the queue to drain,
// or for its context, and one that gives up there never reaches the actor.
// The default is 32 MiB; n must be at least 1.
func ConnBuffer(n int) Option { return func(o *options) { o.connBuffer = n } }

// Compression makes this end compress, with zstd, the payloads it sends
// that are at least minSize bytes (and only when that makes them smaller):
// an encoded response or error, or an encoded request with its method name
// and call context, which count towards minSize too. Every end accepts
// compressed frames, bounded by MaxFrameSize once decompressed, unless it
// was given a negative minSize, which refuses them (peers then send plain).
// Accepting them lets a peer that holds the key make this end allocate up
// to MaxFrameSize a connection with a frame of a few hundred bytes, as a
// valid payload of repeated bytes compresses that far; an actor that must
// not, refuses them. The default, 0, sends plain.
//
// Compression pays only on links slower than zstd's fastest level
// compresses: across a link of about 100 Mbit/s, 1 Gbit/s or a WAN,
// Compression(4096) saves time on text-like payloads; on Unix sockets,
// loopback TCP or 10 Gbit/s it costs more than it saves, which is why it is
// off by default on every transport. BENCHMARKS.md has the figures. A
// minSize above MaxFrameSize is an error: nothing would ever be compressed.
func Compression(minSize int) Option { return func(o *options) { o.compress = minSize } }

// Restart makes Spawn's owner start the actor again when its process exits
// without the owner asking (a crash, a kill, an os.Exit): with the same
// spawn argument, the same identity and the same address, so that the
// owner's ref and every copy of it in other processes keep working. Calls
// in flight when it died (any of whose request had been written to the
// connection) fail with ErrActorDied and are never retried; calls made
// while it restarts wait for it (within their context), and so do calls
// none of whose request had been written when it died, queued behind
// another's, say: the actor cannot have seen them.
//
// If more than max restarts would fall within one window of length within,
// the actor stays dead: Done closes and Err returns the last *ExitError.
// Before a restart the owner waits nothing if the process had served for a
// second or more, or if it is the first to die sooner; each further death
// within a second of starting waits 10 ms, doubling up to 1 s, so that a
// constructor or actor that dies at once does not spin. A within of 0 or
// less counts restarts over the actor's whole life. Restart(0, 0), the
// default, never restarts; Host and Connect ignore Restart.
//
// If Spawn's ctx had a deadline, each restart has as long, from its start,
// as the first start had from Spawn's call: a restart whose constructor has
// not returned by then is killed and counts as a failed restart, so that a
// constructor that never returns cannot hold calls that wait for it for
// ever. Without a deadline a restart waits for its constructor as Spawn
// would, until Close. Cancelling Spawn's ctx after Spawn returned stops no
// restart.
func Restart(max int, within time.Duration) Option {
	return func(o *options) { o.restart = restartPolicy{max: max, within: within} }
}

// Output sends each line that the actor's process writes to its stdout or
// stderr (panic traces included) to w, prefixed with the actor's kind and
// pid, as in "counter[4242] hello"; by default, and with Output(nil), to
// this process's stderr. A kind name that holds a control character, bytes
// that are not UTF-8, a '[' or a leading quote is written quoted, as
// strconv.Quote writes it (`"a\nb"[4242] hello`), so that no actor's name
// can forge another actor's prefix; one of over 200 bytes is cut to its
// first 200, quoted, with an ellipsis after the closing quote, so that the
// prefixes of a nested actor's long line fit the room kept for them.
// A last line that a crash cut short is passed on with a newline added.
//
// The actor never waits for w. Lines are read as the actor writes them and
// handed to w, one Write per line, by one goroutine at a time for each
// actor (w given to several actors must be safe for concurrent use). While
// w blocks, up to 256 KiB of lines wait for it; lines beyond that are
// dropped, and once w takes lines again a line "counter[4242] [N lines
// dropped]" says how many were lost. A w that panics loses the line it
// was given, as one that fails does; the panic is recorded through Logger
// (at Error, at most once a second) instead of ending this process.
// Output(io.Discard) silences the actor. Host and Connect ignore Output.
// The owner's Close returns once the lines its actor wrote have been handed
// to w, unless w blocks or a process the actor started holds the output
// open: then it waits for them about a second at most, and what has not
// reached w by then is dropped. Once Close has returned, no Write of w
// begins (one that w blocks in may still run), so w may be closed then;
// the same holds, for the lines of its start, once a Spawn that failed
// has returned its error.
// A process the actor started that writes to the output after that finds
// the pipe closed, as a program writing to a pipeline whose reader has
// gone does (SIGPIPE, or EPIPE if it catches or ignores that).
//
// An actor's own actors' lines pass through it, each with its prefix too
// ("front[41] back[42] hello"). When the owner closes an actor, what the
// actor's own actors wrote before that still arrives: the actor passes it
// on before its process exits.
func Output(w io.Writer) Option { return func(o *options) { o.output = w } }

// CallTimeout gives every call made through a ref, whose context has no
// deadline, a deadline d from when it starts. Calls whose context has a
// deadline keep theirs. The default, 0, adds none.
func CallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// Logger sets where the library's own records go: failed authentications
// (with the peer's address, never key material) and protocol errors at Warn,
// clients an actor dropped for silence at Info (an actor that a ref's
// connection dropped so is at Warn, with the connection's other failures),
// connections opening and closing at Debug. A spawned actor's process
// that exits without its owner asking is recorded at Warn, with its kind,
// pid, how it ended and whether a restart follows; so is a restart that
// fails, and a restart that succeeds at Info. An actor records the
// handshakes that fail, which anyone who can connect provokes, at most one
// a second for each message, and so the authenticated peers it drops for
// what they sent, for silence or for hanging up while their calls held
// the connection (a key holder can do each as fast as it connects); one
// that follows records left out says how many ("dropped").
// The default, nil, is slog.Default() at the time of each record.
//
// A handler cannot travel to another process, so a spawned actor's process
// logs as follows. A logger given to Define is used there as it is (the
// declaration runs in that process too). A logger given to Spawn travels as
// its level and format: the actor logs to its standard error, in JSON for a
// JSONHandler and in text for any other handler, from the least level the
// logger enables; one that enables no level makes the actor log nothing.
// With no logger given, the actor uses its own slog.Default().
func Logger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// log returns the logger for the library's own records.
func (o *options) log() *slog.Logger {
	if o.logger != nil {
		return o.logger
	}
	return slog.Default()
}

// addSat is a+b for durations that are not negative, saturating at the
// largest Duration: an option at the top of its range ("as good as
// unbounded") must not wrap round to a deadline already past.
func addSat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// twiceSat is 2*n saturating at the largest int, for counts that are not negative.
func twiceSat(n int) int {
	if n > math.MaxInt/2 {
		return math.MaxInt
	}
	return 2 * n
}

// Limits that validate enforces.
const (
	minFrameSize = 4 << 10
	maxFrameSize = 1 << 30
)

// ErrOption is matched by the error of a Spawn, Connect or Host given an
// option value that has no meaning.
var ErrOption = errors.New("uactor: invalid option")

// validate checks every option once, where it is used (Spawn, Connect or
// Host), so that a value with no meaning is an error there rather than a
// surprise later.
func (o *options) validate() error {
	if err := o.validateRef(); err != nil {
		return err
	}
	bad := badOption
	switch {
	case o.listen == "":
		return bad(`Listen(""): give "unix", "unix:///path" or "tcp://host:port"`)
	case o.grace < 0:
		return bad("GracePeriod(%v) is negative", o.grace)
	case o.maxConns < 1:
		return bad("MaxConnections(%d) must be at least 1", o.maxConns)
	case o.maxHS < 1:
		return bad("MaxHandshakes(%d) must be at least 1", o.maxHS)
	case o.connBuffer < 1:
		return bad("ConnBuffer(%d) must be at least 1", o.connBuffer)
	case o.compress > 0 && o.compress > o.maxFrame:
		return bad("Compression(%d) is above MaxFrameSize(%d): nothing would be compressed", o.compress, o.maxFrame)
	case o.restart.max < 0:
		return bad("Restart(%d, …): max is negative (0 never restarts)", o.restart.max)
	}
	listens := "unix"
	if o.listen != "unix" {
		l, err := parseAddress(o.listen)
		if err != nil {
			return bad("Listen(%q): %w", o.listen, err)
		}
		listens = l.network
	}
	if o.advertise != "" {
		a, err := parseAddress(o.advertise)
		if err != nil {
			return bad("Advertise(%q): %w", o.advertise, err)
		}
		// Refs carry it, and a receiver refuses an address over
		// addr.MaxLen: its port filled in may add four digits.
		if len(o.advertise) > addr.MaxLen-4 {
			return bad("Advertise: an address of %d bytes, over %d", len(o.advertise), addr.MaxLen-4)
		}
		// Port 0 stands for the port bound: on a Unix socket, none, and
		// refs would name a port no one can dial.
		if _, port, _ := net.SplitHostPort(a.addr); a.network == "tcp" && port == "0" && listens != "tcp" {
			return bad("Advertise(%q): port 0 stands for the TCP port the actor binds, and Listen(%q) binds none", o.advertise, o.listen)
		}
		// Refs carry it for other processes to dial: no host, or all of
		// a host's interfaces, names none they can reach.
		if !dialable(o.advertise) {
			return bad("Advertise(%q): names no host that another process can dial", o.advertise)
		}
	}
	for _, c := range o.captures {
		if _, err := parseAddress(c); err != nil {
			return bad("Capture(%q): %w", c, err)
		}
	}
	for _, ic := range o.serverIC {
		if ic == nil {
			return bad("ServerInterceptors: nil interceptor")
		}
	}
	return nil
}

// validateRef checks the options that a ref's connection and calls use:
// also those that a ref decoded from a message takes from its kind's
// declaration, which Define does not check.
func (o *options) validateRef() error {
	bad := badOption
	switch {
	case o.maxFrame < minFrameSize || o.maxFrame > maxFrameSize:
		return bad("MaxFrameSize(%d) is outside [%d, %d]", o.maxFrame, minFrameSize, maxFrameSize)
	case o.handshake <= 0:
		return bad("HandshakeTimeout(%v) must be positive", o.handshake)
	case o.dialTimeout <= 0:
		return bad("DialTimeout(%v) must be positive", o.dialTimeout)
	case o.write < 0:
		return bad("WriteTimeout(%v) is negative (0 turns the write deadline off)", o.write)
	case o.keepalive < 0:
		return bad("Keepalive(%v) is negative (0 turns keepalive off)", o.keepalive)
	case o.spin < 0:
		return bad("Spin(%v) is negative (0 turns spinning off)", o.spin)
	case o.inflight < 1:
		return bad("MaxInFlight(%d) must be at least 1", o.inflight)
	case o.callTimeout < 0:
		return bad("CallTimeout(%v) is negative (0 adds no deadline)", o.callTimeout)
	}
	for _, ic := range o.clientIC {
		if ic == nil {
			return bad("ClientInterceptors: nil interceptor")
		}
	}
	return nil
}

func badOption(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrOption}, args...)...)
}

// connConfig is every option that shapes a connection: refs share a
// connection only when theirs are equal, so no ref silently takes another's
// settings. Settings with one effect are one value, so that refs that
// differ only in how they said it share.
type connConfig struct {
	seal                                   sealMode
	maxFrame, inflight, compress, queue    int
	handshake, dialTimeout, write, keepalv time.Duration
	spin                                   time.Duration
	logger                                 *slog.Logger
}

func (o *options) connConfig() connConfig {
	seal := o.seal
	if seal == sealDefault { // sealed, as Sealed(true) is
		seal = sealAlways
	}
	compress := max(o.compress, -1) // any negative size refuses compressed input
	return connConfig{seal, o.maxFrame, o.inflight, compress, o.connBuffer, o.handshake, o.dialTimeout, o.write, o.keepalive, o.spin, o.logger}
}
