package frame

import "fmt"

// ---------------------------------------------------------------------------
// COMPRESSION HOOK (FlagCompressed)
//
// zstd compression is not implemented yet. When it is, it will be enabled by
// an option that both peers agree on during the handshake (for example a
// Reader/Writer method EnableCompression). That change should:
//
//   - add FlagCompressed to the flags accepted by checkFlags once enabled;
//   - compress in Writer.WriteFrame before sealing (compress, then encrypt);
//   - decompress in Reader.ReadFrame after opening, checking the decompressed
//     size against the reader's maximum before allocating it.
//
// Until then a frame carrying FlagCompressed is malformed in both directions.
// ---------------------------------------------------------------------------

// knownFlags is the set of flag bits defined by the protocol.
const knownFlags = FlagCompressed

// checkFlags rejects undefined flag bits, and FlagCompressed while
// compression has not been agreed.
func checkFlags(f Flags) error {
	if f&^knownFlags != 0 {
		return fmt.Errorf("%w: unknown flags %#02x", ErrMalformed, uint8(f&^knownFlags))
	}
	if f&FlagCompressed != 0 {
		return fmt.Errorf("%w: compression not agreed", ErrMalformed)
	}
	return nil
}
