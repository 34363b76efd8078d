package frame

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the generated files under testdata/fuzz")

// seed is one named input of a fuzz target's corpus. The name's prefix says
// what a Reader with a maximum of fuzzMax must make of it, so that a plain
// go test checks every checked-in seed still means what it says.
type seed struct {
	name   string
	data   []byte
	sealed bool
}

// seedOutcome is what reading a seed must end with, by the name's prefix.
var seedOutcome = map[string]error{
	"valid":     io.EOF,
	"truncated": io.ErrUnexpectedEOF,
	"bomb":      ErrTooLarge,
	"malformed": ErrMalformed,
}

// TestSeedFiles checks that each fuzz target's checked-in corpus is what its
// generator makes and what the files' names say; -update-seeds rewrites it.
func TestSeedFiles(t *testing.T) {
	for _, tc := range []struct {
		target     string
		seeds      func(testing.TB) []seed
		decompress bool
	}{
		{"FuzzReader", readerSeeds, false},
		{"FuzzReaderCompressed", compressedSeeds, true},
	} {
		t.Run(tc.target, func(t *testing.T) {
			dir := filepath.Join("testdata", "fuzz", tc.target)
			want := map[string]seed{}
			for _, s := range tc.seeds(t) {
				want[s.name] = s
			}
			if *updateSeeds {
				writeSeedFiles(t, dir, tc.seeds(t))
			}
			files, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, fi := range files {
				data, sealed := readSeedFile(t, filepath.Join(dir, fi.Name()))
				if s, ok := want[fi.Name()]; ok && (!bytes.Equal(s.data, data) || s.sealed != sealed) {
					t.Errorf("%s differs from its generator (run with -update-seeds)", fi.Name())
				}
				delete(want, fi.Name())
				checkSeed(t, fi.Name(), data, sealed, tc.decompress)
			}
			for name := range want {
				t.Errorf("seed %s missing from %s (run with -update-seeds)", name, dir)
			}
		})
	}
}

// checkSeed reads data to its end and checks the outcome its name promises.
func checkSeed(t *testing.T, name string, data []byte, sealed, decompress bool) {
	t.Helper()
	kind, _, _ := strings.Cut(name, "-")
	want, ok := seedOutcome[kind]
	if !ok {
		t.Errorf("%s: unknown kind %q", name, kind)
		return
	}
	r := NewReader(bytes.NewReader(data), fuzzMax)
	if sealed {
		r.SetAEAD(newGCM(t))
	}
	r.SetDecompression(decompress)
	for {
		_, b, err := r.ReadFrame()
		if err == nil {
			b.Release()
			continue
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: ReadFrame() = %v, want %v", name, err, want)
		}
		return
	}
}

func writeSeedFiles(t *testing.T, dir string, seeds []seed) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s.data, s.sealed)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readSeedFile parses a corpus file of a target that takes ([]byte, bool).
func readSeedFile(t *testing.T, path string) ([]byte, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0] != "go test fuzz v1" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("%s: not a corpus file of a ([]byte, bool) target", path)
	}
	data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sealed, err := strconv.ParseBool(strings.TrimSuffix(strings.TrimPrefix(lines[2], "bool("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(data), sealed
}
