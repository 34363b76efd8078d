package registry

// Addresses is a list of actor addresses as Ref.Address reports them
// ("tcp://host:port", "unix:///path/to/socket"; a plain "host:port" is TCP).
// It is a []string, so it travels with uactor's built-in codec for string
// slices; the name stays for the methods' signatures and for callers that
// spell it.
type Addresses = []string
