package bench

import "time"

//go:generate go run github.com/tinylib/msgp@v1.6.5 -io=false -tests=false

// Doc is the struct that BenchmarkStruct sends: about 1 KiB as MessagePack,
// with the fields a typical request has.
type Doc struct {
	ID      int64
	Title   string
	Body    string
	Tags    []string
	Scores  map[string]float64
	Author  Author
	Created time.Time
}

// Author is nested in Doc.
type Author struct {
	Name  string
	Email string
	Karma int
}
