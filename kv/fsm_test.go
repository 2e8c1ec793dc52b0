package kv

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap/zaptest"
)

// fsmHarness applies commands at increasing indexes.
type fsmHarness struct {
	t   *testing.T
	f   *fsm
	idx uint64
}

func newHarness(t *testing.T, path string) *fsmHarness {
	t.Helper()
	f, err := openFSM(path, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.close() })
	return &fsmHarness{t: t, f: f, idx: f.applied.Load()}
}

func (h *fsmHarness) entry(c *command) *raft.Log {
	h.t.Helper()
	data, err := c.encode()
	if err != nil {
		h.t.Fatal(err)
	}
	h.idx++
	return &raft.Log{Index: h.idx, Term: 1, Type: raft.LogCommand, Data: data}
}

func (h *fsmHarness) apply(c *command) *WriteResult {
	h.t.Helper()
	r, _ := h.f.Apply(h.entry(c)).(*WriteResult)
	if r == nil {
		h.t.Fatalf("no result for %+v", c)
	}
	return r
}

func (h *fsmHarness) get(key string) *GetResult {
	h.t.Helper()
	g, err := h.f.get([]byte(key))
	if err != nil {
		h.t.Fatal(err)
	}
	return g
}

func put(k, v string) *command { return &command{Op: OpPut, Key: []byte(k), Value: []byte(v)} }
func incr(k string, d int64, rid uuid.UUID) *command {
	return &command{Op: OpIncr, Key: []byte(k), Delta: d, RID: rid}
}

func TestApplyOperations(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	if r := h.apply(put("a", "1")); r.Status != StatusOK || r.Index != 1 || r.Version != 1 {
		t.Fatalf("put: %+v", r)
	}
	if g := h.get("a"); g.Status != StatusOK || string(g.Value) != "1" || g.Version != 1 || g.Applied != 1 {
		t.Fatalf("get: %+v", g)
	}
	if g := h.get("nope"); g.Status != StatusNotFound || g.Applied != 1 {
		t.Fatalf("get absent: %+v", g)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("a"), Mode: CASValue, Expect: []byte("0"), Value: []byte("x")}); r.Status != StatusCASFailed || string(r.Value) != "1" || r.Version != 1 {
		t.Fatalf("cas on a wrong value: %+v", r)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("a"), Mode: CASValue, Expect: []byte("1"), Value: []byte("2")}); r.Status != StatusOK || r.Version != 3 {
		t.Fatalf("cas on the value: %+v", r)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("a"), Mode: CASVersion, Version: 1, Value: []byte("3")}); r.Status != StatusCASFailed || r.Version != 3 {
		t.Fatalf("cas on an old version: %+v", r)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("a"), Mode: CASVersion, Version: 3, Value: []byte("40")}); r.Status != StatusOK {
		t.Fatalf("cas on the version: %+v", r)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("new"), Mode: CASVersion, Version: 0, Value: []byte("v")}); r.Status != StatusOK {
		t.Fatalf("cas put-if-absent: %+v", r)
	}
	if r := h.apply(&command{Op: OpCAS, Key: []byte("absent"), Mode: CASValue, Value: []byte("v")}); r.Status != StatusCASFailed {
		t.Fatalf("cas on the value of an absent key: %+v", r)
	}
	if r := h.apply(incr("a", 2, zeroRID)); r.Status != StatusOK || string(r.Value) != "42" {
		t.Fatalf("incr: %+v", r)
	}
	if r := h.apply(incr("fresh", -7, zeroRID)); string(r.Value) != "-7" {
		t.Fatalf("incr of an absent key: %+v", r)
	}
	h.apply(put("s", "abc"))
	if r := h.apply(incr("s", 1, zeroRID)); r.Status != StatusNotInteger || string(r.Value) != "abc" {
		t.Fatalf("incr of a string: %+v", r)
	}
	h.apply(put("big", "9223372036854775807"))
	if r := h.apply(incr("big", 1, zeroRID)); r.Status != StatusNotInteger {
		t.Fatalf("incr overflow: %+v", r)
	}
	if r := h.apply(&command{Op: OpDelete, Key: []byte("a")}); r.Status != StatusOK {
		t.Fatalf("del: %+v", r)
	}
	if r := h.apply(&command{Op: OpDelete, Key: []byte("a")}); r.Status != StatusNotFound {
		t.Fatalf("del again: %+v", r)
	}
	if g := h.get("a"); g.Status != StatusNotFound {
		t.Fatalf("get after del: %+v", g)
	}
}

func TestScan(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	for _, k := range []string{"a", "p/1", "p/2", "p/3", "q"} {
		h.apply(put(k, "v"+k))
	}
	s, err := h.f.scan([]byte("p/"), nil, 2)
	if err != nil || len(s.Records) != 2 || string(s.Records[0].Key) != "p/1" || string(s.Next) != "p/2" {
		t.Fatalf("first page: %+v %v", s, err)
	}
	s, err = h.f.scan([]byte("p/"), s.Next, 2)
	if err != nil || len(s.Records) != 1 || string(s.Records[0].Key) != "p/3" || len(s.Next) != 0 {
		t.Fatalf("second page: %+v %v", s, err)
	}
	big := bytes.Repeat([]byte("x"), MaxValueSize)
	for _, k := range []string{"z/1", "z/2", "z/3", "z/4", "z/5"} {
		h.apply(&command{Op: OpPut, Key: []byte(k), Value: big})
	}
	s, err = h.f.scan([]byte("z/"), nil, 0)
	if err != nil || len(s.Records) != 3 || string(s.Next) != "z/3" {
		t.Fatalf("scan bounded in bytes: %d records, next %q, %v", len(s.Records), s.Next, err)
	}
}

func TestDedupAnswersRetries(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	rid := uuid.New()
	first := h.apply(incr("n", 5, rid))
	again := h.apply(incr("n", 5, rid))
	if again.Index != first.Index || string(again.Value) != "5" {
		t.Fatalf("retry answered %+v, want the first reply %+v", again, first)
	}
	if g := h.get("n"); string(g.Value) != "5" || g.Applied != 2 {
		t.Fatalf("after retry: %+v", g)
	}
	if r := h.apply(incr("n", 5, uuid.New())); string(r.Value) != "10" {
		t.Fatalf("a new request id applies: %+v", r)
	}
}

func TestDedupKeepsLargeValuesOut(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	big := bytes.Repeat([]byte("b"), DedupValueMax+1)
	h.apply(&command{Op: OpPut, Key: []byte("k"), Value: big})
	rid := uuid.New()
	cas := &command{Op: OpCAS, Key: []byte("k"), Mode: CASValue, Expect: []byte("x"), Value: []byte("y"), RID: rid}
	if r := h.apply(cas); r.Status != StatusCASFailed || !bytes.Equal(r.Value, big) {
		t.Fatalf("first reply: %s with %d bytes", r.Status, len(r.Value))
	}
	if r := h.apply(cas); r.Status != StatusCASFailed || r.Version != 1 || len(r.Value) != 0 {
		t.Fatalf("replayed reply: %s, version %d, %d bytes; want cas-failed, 1, no value", r.Status, r.Version, len(r.Value))
	}
}

func TestDedupPrunesByCountAndStamp(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	h.f.dedup = dedupLimits{max: 3, ttl: time.Hour}
	var rids []uuid.UUID
	for i := range 6 {
		rid := uuid.New()
		rids = append(rids, rid)
		c := incr("n", 1, rid)
		c.Stamp = int64(i)
		h.apply(c)
	}
	if n := dedupCount(t, h.f); n != 3 {
		t.Fatalf("%d entries kept, want 3", n)
	}
	if r := h.apply(incr("n", 1, rids[0])); string(r.Value) != "7" {
		t.Fatalf("a pruned request id applies again: %+v", r)
	}
	if r := h.apply(incr("n", 1, rids[5])); string(r.Value) != "6" || r.Index != 6 {
		t.Fatalf("a kept request id is answered: %+v", r)
	}
	c := incr("n", 1, uuid.New())
	c.Stamp = int64(2 * time.Hour)
	h.apply(c)
	if n := dedupCount(t, h.f); n != 1 {
		t.Fatalf("%d entries after the TTL passed by the leader's stamp, want 1", n)
	}
}

func dedupCount(t *testing.T, f *fsm) int {
	t.Helper()
	n := 0
	f.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketDedup).Stats().KeyN
		if m := int(getUint(tx.Bucket(bucketMeta), keyDedupCount)); m != n {
			t.Errorf("dedup count %d, entries %d", m, n)
		}
		return nil
	})
	return n
}

// A restart replays the log after the last snapshot: entries at or below
// the stored applied index must not apply again.
func TestRestartSkipsAppliedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fsm.db")
	h := newHarness(t, path)
	var log []*raft.Log
	for range 3 {
		l := h.entry(incr("n", 1, zeroRID))
		log = append(log, l)
		h.f.Apply(l)
	}
	h.f.close()
	h2 := newHarness(t, path)
	if h2.f.applied.Load() != 3 {
		t.Fatalf("applied index after restart %d, want 3", h2.f.applied.Load())
	}
	res := h2.f.ApplyBatch(log)
	for i, r := range res {
		if r != nil {
			t.Fatalf("replayed entry %d answered %v", i+1, r)
		}
	}
	if g := h2.get("n"); string(g.Value) != "3" {
		t.Fatalf("after replay: %q, want 3", g.Value)
	}
	if r := h2.apply(incr("n", 1, zeroRID)); string(r.Value) != "4" || r.Index != 4 {
		t.Fatalf("next entry: %+v", r)
	}
}

type bufferSink struct{ bytes.Buffer }

func (s *bufferSink) ID() string    { return "test" }
func (s *bufferSink) Cancel() error { return nil }
func (s *bufferSink) Close() error  { return nil }

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, filepath.Join(dir, "a.db"))
	rid := uuid.New()
	h.apply(put("k", "v"))
	h.apply(incr("n", 3, rid))
	snap, err := h.f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink bufferSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	h.apply(put("later", "x")) // after the snapshot: not in it
	snap.Release()

	h2 := newHarness(t, filepath.Join(dir, "b.db"))
	h2.apply(put("gone", "replaced by the restore"))
	if err := h2.f.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if h2.f.applied.Load() != 2 {
		t.Fatalf("applied after restore %d, want 2", h2.f.applied.Load())
	}
	if g := h2.get("k"); string(g.Value) != "v" {
		t.Fatalf("k after restore: %+v", g)
	}
	for _, k := range []string{"gone", "later"} {
		if g := h2.get(k); g.Status != StatusNotFound {
			t.Fatalf("%s after restore: %+v", k, g)
		}
	}
	h2.idx = 2
	if r := h2.apply(incr("n", 3, rid)); string(r.Value) != "3" || r.Index != 2 {
		t.Fatalf("de-duplication did not survive the restore: %+v", r)
	}
}

func TestRestoreRefusesGarbage(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "fsm.db"))
	h.apply(put("k", "v"))
	err := h.f.Restore(io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("junk"), 4096))))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("restore of garbage: %v, want ErrCorrupt", err)
	}
	if g := h.get("k"); string(g.Value) != "v" {
		t.Fatalf("state after a refused restore: %+v", g)
	}
}

func TestCorruptFileRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fsm.db")
	h := newHarness(t, path)
	for i := range 200 {
		h.apply(put(string(rune('a'+i%26))+string(rune(i)), string(bytes.Repeat([]byte("v"), 500))))
	}
	h.f.close()
	var used int64 // bytes of the pages in use; the file is larger (bbolt grows it in chunks)
	if db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true}); err == nil {
		db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
		db.Close()
	}
	if used < 64<<10 {
		t.Fatalf("only %d bytes used", used)
	}
	cases := map[string]func(t *testing.T, p string){
		"truncated": func(t *testing.T, p string) { os.Truncate(p, used/2) },
		"empty":     func(t *testing.T, p string) { os.Truncate(p, 0) },
		"garbage":   func(t *testing.T, p string) { os.WriteFile(p, bytes.Repeat([]byte{0xa5}, 64<<10), 0o600) },
		"page-overwritten": func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteAt(bytes.Repeat([]byte{0xff}, 4096), 4*4096) // a data or branch page
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "fsm.db")
			data, _ := os.ReadFile(path)
			os.WriteFile(p, data, 0o600)
			damage(t, p)
			f, err := openFSM(p, zaptest.NewLogger(t))
			if err == nil {
				f.close()
				t.Fatal("a damaged file opened")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
		})
	}
}
