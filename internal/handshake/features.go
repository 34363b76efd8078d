package handshake

// Features is a set of optional connection features, carried in the flags
// byte of each hello.
type Features uint8

const (
	// FeatureSeal seals every frame with AES-256-GCM. In a client hello it
	// asks for sealing; in a server hello it means the server requires it.
	// Either side asking is enough.
	FeatureSeal Features = 1 << iota
	// FeatureZstd says the side accepts frames compressed with zstd. Both
	// sides must for it to be agreed; each then compresses what it sends
	// only if it was asked to itself.
	FeatureZstd
)

// knownFeatures is every bit this version defines; any other flag bit is a
// protocol violation, so that a later version can give it a meaning.
const knownFeatures = FeatureSeal | FeatureZstd

// agree computes the features a connection uses. Sealing wins if either side
// wants it, because a side that asks for confidentiality must not be talked
// out of it; compression needs both sides to understand it.
func agree(client, server Features) Features {
	return (client|server)&FeatureSeal | client&server&FeatureZstd
}
