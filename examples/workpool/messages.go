package main

import "time"

//go:generate go run github.com/tinylib/msgp@v1.6.5 -io=false -tests=false

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
