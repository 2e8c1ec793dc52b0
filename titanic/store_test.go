package titanic

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

func openTestStore(t *testing.T, dir string, o StoreOptions) *Store {
	t.Helper()
	s, err := OpenStore(dir, o)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testEntry(service string, body ...string) Entry {
	e := Entry{UUID: uuid.New(), Service: service, Created: time.Now(), Deadline: time.Now().Add(time.Hour)}
	for _, b := range body {
		e.Body = append(e.Body, []byte(b))
	}
	return e
}

func TestStoreLifecycle(t *testing.T) {
	s := openTestStore(t, t.TempDir(), StoreOptions{})
	e := testEntry("echo", "hello", "")
	if err := s.Put(e); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Lookup(e.UUID); err != nil || r.State != StatePending {
		t.Fatalf("Lookup after Put = %v, %v; want pending", r.State, err)
	}
	got, ok, err := s.Request(e.UUID)
	if err != nil || !ok || got.Service != "echo" || len(got.Body) != 2 || string(got.Body[0]) != "hello" || len(got.Body[1]) != 0 {
		t.Fatalf("Request = %+v, %v, %v", got, ok, err)
	}
	if got.Deadline.UnixMilli() != e.Deadline.UnixMilli() {
		t.Fatalf("deadline %v, want %v", got.Deadline, e.Deadline)
	}
	done, err := s.Finish(e.UUID, Result{State: StateDone, Body: [][]byte{[]byte("world")}, Finished: time.Now()})
	if err != nil || !done {
		t.Fatalf("Finish = %v, %v", done, err)
	}
	if done, _ := s.Finish(e.UUID, Result{State: StateFailed, Text: "expired"}); done {
		t.Fatal("a second Finish replaced the result")
	}
	r, err := s.Lookup(e.UUID)
	if err != nil || r.State != StateDone || len(r.Body) != 1 || string(r.Body[0]) != "world" {
		t.Fatalf("Lookup after Finish = %+v, %v", r, err)
	}
	if _, ok, _ := s.Request(e.UUID); ok {
		t.Fatal("request frames kept after Finish")
	}
	if err := s.Remove(e.UUID); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Lookup(e.UUID); r.State != StateUnknown {
		t.Fatalf("Lookup after Remove = %v", r.State)
	}
	if err := s.Remove(uuid.New()); err != nil {
		t.Fatalf("Remove of an unknown UUID: %v", err)
	}
	if st := s.Stats(); st.LiveBytes != 0 || st.Pending != 0 {
		t.Fatalf("stats after removing everything: %+v", st)
	}
}

func TestStoreReopenKeepsPending(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := testEntry("a", "1"), testEntry("b", "2")
	for _, e := range []Entry{a, b} {
		if err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Finish(b.UUID, Result{State: StateFailed, Text: "expired", Finished: time.Now()}); err != nil {
		t.Fatal(err)
	}
	live := s.Stats().LiveBytes
	s.Close()
	if err := s.Put(testEntry("c")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}

	s = openTestStore(t, dir, StoreOptions{})
	p, err := s.Pending()
	if err != nil || len(p) != 1 || p[0].UUID != a.UUID || p[0].Service != "a" {
		t.Fatalf("Pending after reopen = %+v, %v", p, err)
	}
	if r, _ := s.Lookup(b.UUID); r.State != StateFailed || r.Text != "expired" {
		t.Fatalf("failed result after reopen = %+v", r)
	}
	if st := s.Stats(); st.LiveBytes != live || st.Pending != 1 {
		t.Fatalf("stats after reopen %+v, want live %d, pending 1", st, live)
	}
}

func TestStoreSweepRemovesOldResults(t *testing.T) {
	s := openTestStore(t, t.TempDir(), StoreOptions{})
	old, recent, pending := testEntry("x"), testEntry("x"), testEntry("x")
	for _, e := range []Entry{old, recent, pending} {
		if err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	s.Finish(old.UUID, Result{State: StateDone, Finished: now.Add(-time.Hour)})
	s.Finish(recent.UUID, Result{State: StateDone, Finished: now})
	n, err := s.Sweep(now.Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	for id, want := range map[uuid.UUID]State{old.UUID: StateUnknown, recent.UUID: StateDone, pending.UUID: StatePending} {
		if r, _ := s.Lookup(id); r.State != want {
			t.Errorf("%s: %v, want %v", id, r.State, want)
		}
	}
}

func TestStoreBoundRefusesAndFileStaysBounded(t *testing.T) {
	const bound = 256 << 10
	s := openTestStore(t, t.TempDir(), StoreOptions{MaxBytes: bound})
	body := string(bytes.Repeat([]byte("x"), 4000))
	var peakFile int64
	for round := 0; round < 4; round++ {
		var ids []uuid.UUID
		for {
			e := testEntry("svc", body)
			err := s.Put(e)
			if errors.Is(err, ErrFull) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.UUID)
		}
		if st := s.Stats(); st.LiveBytes > bound || len(ids) < 50 {
			t.Fatalf("round %d: %d accepted, live %d bytes, bound %d", round, len(ids), st.LiveBytes, bound)
		}
		for _, id := range ids {
			if err := s.Remove(id); err != nil {
				t.Fatal(err)
			}
		}
		peakFile = max(peakFile, s.Stats().FileBytes)
	}
	// bbolt reuses freed pages, so refilling does not grow the file: it stays
	// within the documented margin (twice the bound plus bbolt's overhead).
	if limit := int64(2*bound + 1<<20); peakFile > limit {
		t.Fatalf("file grew to %d bytes over 4 fill/empty rounds, limit %d", peakFile, limit)
	}
	t.Logf("peak file size %d bytes for a bound of %d live bytes", peakFile, bound)
}

func TestStoreGroupCommitSharesFsyncs(t *testing.T) {
	s := openTestStore(t, t.TempDir(), StoreOptions{BatchDelay: 5 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Put(testEntry("svc", fmt.Sprint(i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Writes != 64 || st.Commits >= 64 || st.Commits == 0 {
		t.Fatalf("64 concurrent Puts: %d writes in %d commits; want fewer commits than writes", st.Writes, st.Commits)
	}
	if st.Pending != 64 {
		t.Fatalf("pending %d, want 64", st.Pending)
	}
}

func TestStoreRefusesDamagedFile(t *testing.T) {
	marker := "MARKER-0123456789-MARKER"
	build := func(t *testing.T) (string, string) {
		dir := t.TempDir()
		s, err := OpenStore(dir, StoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var entries []Entry
		for i := 0; i < 200; i++ {
			entries = append(entries, testEntry("svc", fmt.Sprintf("%s%04d", marker, i)))
		}
		putAll(t, s, entries)
		s.Close()
		return dir, filepath.Join(dir, StoreFile)
	}
	cases := map[string]func(t *testing.T, path string){
		"truncated below its high-water mark": func(t *testing.T, path string) {
			must(t, os.Truncate(path, highWater(t, path)-int64(os.Getpagesize())))
		},
		"truncated to half its pages": func(t *testing.T, path string) {
			must(t, os.Truncate(path, highWater(t, path)/2))
		},
		"truncated to one page": func(t *testing.T, path string) { must(t, os.Truncate(path, 4096)) },
		"empty":                 func(t *testing.T, path string) { must(t, os.Truncate(path, 0)) },
		"meta pages overwritten": func(t *testing.T, path string) {
			overwrite(t, path, 0, bytes.Repeat([]byte{0xa5}, 2*os.Getpagesize()))
		},
		"a flipped byte in a stored value": func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			must(t, err)
			// Every copy: freed pages may still hold old copies of the record.
			n := 0
			for off := 0; ; n++ {
				i := bytes.Index(b[off:], []byte(marker+"0100"))
				if i < 0 {
					break
				}
				overwrite(t, path, int64(off+i+3), []byte{'#'})
				off += i + 1
			}
			if n == 0 {
				t.Fatal("marker not found in the file")
			}
		},
		"garbage over the data pages": func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			junk := bytes.Repeat([]byte{0xff, 0x13, 0x00, 0x42}, int(fi.Size()/8))
			overwrite(t, path, int64(4*os.Getpagesize()), junk)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir, path := build(t)
			damage(t, path)
			s, err := OpenStore(dir, StoreOptions{})
			if err == nil {
				s.Close()
				t.Fatal("a damaged store opened without error")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
			t.Log(err)
		})
	}
}

// putAll stores the entries from 16 goroutines, so that they share commits.
func putAll(t *testing.T, s *Store, entries []Entry) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(entries))
	next := make(chan Entry)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range next {
				errs <- s.Put(e)
			}
		}()
	}
	for _, e := range entries {
		next <- e
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
}

// highWater is the bytes the store's pages occupy (bbolt's high-water mark;
// the file may be longer).
func highWater(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer db.Close()
	var n int64
	must(t, db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil }))
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt(b, off)
	must(t, err)
}

// A file far above its bound (the bound was lowered, or large entries came
// and went) is compacted on open, keeping every entry.
func TestStoreCompactsOnOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, StoreOptions{MaxBytes: 64 << 20})
	must(t, err)
	big := string(bytes.Repeat([]byte("b"), 64<<10))
	var entries []Entry
	for range 64 {
		entries = append(entries, testEntry("svc", big))
	}
	putAll(t, s, entries)
	keep := testEntry("svc", "kept")
	must(t, s.Put(keep))
	for _, e := range entries {
		must(t, s.Remove(e.UUID))
	}
	before := s.Stats().FileBytes
	s.Close()
	if before < 4<<20 {
		t.Fatalf("file of %d bytes: the test needs a big one", before)
	}

	s = openTestStore(t, dir, StoreOptions{MaxBytes: 256 << 10})
	st := s.Stats()
	if st.FileBytes > 2*(256<<10)+compactSlack || st.Pending != 1 {
		t.Fatalf("after compaction: %+v (file was %d bytes)", st, before)
	}
	if e, ok, err := s.Request(keep.UUID); err != nil || !ok || string(e.Body[0]) != "kept" {
		t.Fatalf("entry lost in compaction: %+v, %v, %v", e, ok, err)
	}
	if _, err := os.Stat(filepath.Join(dir, StoreFile+".compact")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left: %v", err)
	}
	t.Logf("file %d → %d bytes", before, st.FileBytes)
}
