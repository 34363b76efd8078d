package main

import "time"

//go:generate go run github.com/tinylib/msgp@v1.6.5 -io=false -tests=false

// msgp's generated code makes a slice or map as long as the count it
// reads. uactor refuses a count that the bytes received could not hold, at
// one byte an element, but in memory an element costs more (an empty
// string takes one byte on the wire and 16 in a []string). The limit below
// bounds what one message can make a worker allocate: a message over it
// fails to decode (uactor.ErrDecode) before the slice or map is made.
//msgp:limit arrays:1000 maps:1000

// Job is one piece of work: count the words of Text.
type Job struct {
	ID   int
	Text string
	Tags []string
}

// Result is what a worker found in its jobs.
type Result struct {
	Jobs   int
	Words  map[string]int // occurrences of each word
	Tagged map[string]int // jobs per tag
	Done   time.Time
}

// Config is each worker's spawn argument.
type Config struct {
	Name      string
	MinLength int // shorter words are not counted
	Stop      []string
}
