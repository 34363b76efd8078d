package handshake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

// referenceMAC is HMAC-SHA256 computed the plain way, to check the
// package's transcript against.
func referenceMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// referenceAEAD derives a direction's AEAD with hkdf.Key, independently of
// the package's Extract/Expand, to pin the input (authkey, then the X25519
// secret), the salt order and the info strings.
func referenceAEAD(t *testing.T, key, dh []byte, cn, sn [nonceSize]byte, info string) cipher.AEAD {
	t.Helper()
	k, err := hkdf.Key(sha256.New, append(bytes.Clone(key), dh...), append(cn[:], sn[:]...), info, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSessionAEADs(t *testing.T) {
	cn, sn := fixedNonce(1), fixedNonce(100)
	cPriv, sShare := fixedPriv(1), fixedShare(100)
	dh, err := fixedPriv(100).ECDH(cPriv.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	derive := func(cn, sn [nonceSize]byte, share [shareSize]byte) (cipher.AEAD, cipher.AEAD) {
		prk, err := sessionSecret(testKey, cPriv, &share, &cn, &sn)
		if err != nil {
			t.Fatal(err)
		}
		c2s, s2c, err := sessionAEADs(prk)
		if err != nil {
			t.Fatal(err)
		}
		return c2s, s2c
	}
	c2s, s2c := derive(cn, sn, sShare)
	other, _ := derive(sn, cn, sShare)
	otherDH, _ := derive(cn, sn, fixedShare(101))
	nonce := make([]byte, 12)
	msg := []byte("frame body")
	cases := []struct {
		name       string
		seal, open cipher.AEAD
		ok         bool
	}{
		{"c2s is the spec's", c2s, referenceAEAD(t, testKey, dh, cn, sn, "uactor/2 seal c2s"), true},
		{"s2c is the spec's", s2c, referenceAEAD(t, testKey, dh, cn, sn, "uactor/2 seal s2c"), true},
		{"directions differ", c2s, s2c, false},
		{"nonces matter", c2s, other, false},
		{"ephemeral shares matter", c2s, otherDH, false},
		{"key matters", c2s, referenceAEAD(t, []byte("another key"), dh, cn, sn, "uactor/2 seal c2s"), false},
		// Forward secrecy: the authkey and everything on the wire (nonces,
		// public shares) do not give the session keys without the X25519
		// secret, which dies with the handshake.
		{"authkey alone is not enough", c2s, referenceAEAD(t, testKey, nil, cn, sn, "uactor/2 seal c2s"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.open.Open(nil, nonce, tc.seal.Seal(nil, nonce, msg, nil), nil)
			if ok := err == nil && bytes.Equal(got, msg); ok != tc.ok {
				t.Errorf("opened = %v, want %v", ok, tc.ok)
			}
		})
	}
}

// A share that is a low-order point would force a known shared secret; it
// is refused as a protocol violation.
func TestSessionSecretRefusesLowOrderShare(t *testing.T) {
	cn, sn := fixedNonce(1), fixedNonce(100)
	var zero [shareSize]byte
	if _, err := sessionSecret(testKey, fixedPriv(1), &zero, &cn, &sn); !errors.Is(err, ErrProtocol) {
		t.Fatalf("all-zero share: %v, want ErrProtocol", err)
	}
}

func TestAgree(t *testing.T) {
	all := []Features{0, FeatureSeal, FeatureZstd, FeatureSeal | FeatureZstd}
	for _, c := range all {
		for _, s := range all {
			got := agree(c, s)
			seal := c&FeatureSeal != 0 || s&FeatureSeal != 0
			zstd := c&FeatureZstd != 0 && s&FeatureZstd != 0
			if (got&FeatureSeal != 0) != seal || (got&FeatureZstd != 0) != zstd || got&^knownFeatures != 0 {
				t.Errorf("agree(%#x, %#x) = %#x", c, s, got)
			}
		}
	}
}
