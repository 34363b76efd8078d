// Workpool spawns four worker processes, sends them 1,000 jobs (structs
// whose codecs msgp generated from messages.go), and merges the maps they
// send back.
package main

import (
	"context"
	"fmt"
	"log"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Worker counts words; each one lives in a process of its own.
type Worker struct {
	cfg  Config
	stop map[string]bool
}

// Do counts the words of one job.
func (w *Worker) Do(_ context.Context, j Job) (Result, error) {
	r := Result{Jobs: 1, Words: map[string]int{}, Tagged: map[string]int{}, Done: time.Now()}
	for _, word := range strings.Fields(strings.ToLower(j.Text)) {
		if len(word) >= w.cfg.MinLength && !w.stop[word] {
			r.Words[word]++
		}
	}
	for _, t := range j.Tags {
		r.Tagged[t]++
	}
	return r, nil
}

// PID returns the worker's process id.
func (w *Worker) PID(context.Context, uactor.Empty) (int, error) { return os.Getpid(), nil }

var (
	// WorkerKind is the worker's kind; its spawn argument is a Config.
	WorkerKind = uactor.Define("workpool.worker", func(_ context.Context, cfg Config) (*Worker, error) {
		w := &Worker{cfg: cfg, stop: map[string]bool{}}
		for _, s := range cfg.Stop {
			w.stop[s] = true
		}
		return w, nil
	})
	// Do calls Worker.Do.
	Do = uactor.Expose(WorkerKind, "do", (*Worker).Do)
	// PID calls Worker.PID.
	PID = uactor.Expose(WorkerKind, "pid", (*Worker).PID)
)

var words = strings.Fields("the quick brown fox jumps over a lazy dog and the cat naps")

func main() {
	uactor.Main()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var workers []uactor.Ref[*Worker]
	for i := range 4 {
		w, err := uactor.Spawn(ctx, WorkerKind, Config{Name: fmt.Sprint("w", i), MinLength: 3, Stop: []string{"the", "and"}})
		if err != nil {
			log.Fatal(err)
		}
		defer w.Close()
		workers = append(workers, w)
	}

	total := Result{Words: map[string]int{}, Tagged: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	jobs := make(chan Job)
	for _, w := range workers {
		wg.Go(func() {
			for j := range jobs {
				r, err := Do.Call(ctx, w, j)
				if err != nil {
					log.Fatalf("job %d: %v", j.ID, err)
				}
				mu.Lock()
				total.Jobs += r.Jobs
				for k, n := range r.Words {
					total.Words[k] += n
				}
				for k, n := range r.Tagged {
					total.Tagged[k] += n
				}
				mu.Unlock()
			}
		})
	}
	for i := range 1000 {
		text := strings.Join([]string{words[i%len(words)], words[(i*7)%len(words)], words[(i*3)%len(words)]}, " ")
		jobs <- Job{ID: i, Text: text, Tags: []string{[]string{"even", "odd"}[i%2], fmt.Sprint("mod3=", i%3)}}
	}
	close(jobs)
	wg.Wait()

	var pids []int
	for _, w := range workers {
		pid, err := PID.Call(ctx, w, uactor.Empty{})
		if err != nil {
			log.Fatal(err)
		}
		pids = append(pids, pid)
	}
	fmt.Printf("%d jobs done by %d worker processes %v (this is %d)\n", total.Jobs, len(workers), pids, os.Getpid())
	for _, k := range slices.Sorted(maps.Keys(total.Words)) {
		fmt.Printf("%s %d\n", k, total.Words[k])
	}
	fmt.Printf("tags even=%d odd=%d mod3=0:%d\n", total.Tagged["even"], total.Tagged["odd"], total.Tagged["mod3=0"])
}
