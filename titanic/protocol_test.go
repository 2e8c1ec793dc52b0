package titanic

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/mdp"
)

func newTestProtocol(t *testing.T, store *Store) (*protocol, *[]Entry) {
	cfg := Config{Broker: "tcp://127.0.0.1:1", Dir: t.TempDir(), Logger: zaptest.NewLogger(t)}.withDefaults()
	var submitted []Entry
	return &protocol{cfg: &cfg, store: store, stats: &counters{}, now: time.Now,
		submit: func(e Entry) { submitted = append(submitted, e) }}, &submitted
}

// A retried titanic.request (same client UUID) is stored once and answered
// with the same Titanic UUID, also by a Titanic restarted on the same store.
func TestRetriedRequestIsStoredOnce(t *testing.T) {
	dir := t.TempDir()
	store, err := OpenStore(dir, StoreOptions{})
	must(t, err)
	p, submitted := newTestProtocol(t, store)
	client := uuid.New()
	body := [][]byte{[]byte("echo"), []byte("x")}
	first := p.request(body, &client)
	if len(first) != 2 || string(first[0]) != "200" {
		t.Fatalf("first: %q", first)
	}
	if string(first[1]) == mdp.FormatUUID(client) {
		t.Fatal("the Titanic UUID is the client's own request UUID")
	}
	live := store.Stats().LiveBytes
	if again := p.request(body, &client); string(again[1]) != string(first[1]) {
		t.Fatalf("retry answered %q, want %q", again, first)
	}
	store.Close()

	store = openTestStore(t, dir, StoreOptions{})
	p2, submitted2 := newTestProtocol(t, store)
	if again := p2.request(body, &client); string(again[1]) != string(first[1]) {
		t.Fatalf("retry after a restart answered %q, want %q", again, first)
	}
	if st := store.Stats(); st.Pending != 1 || st.LiveBytes != live || len(*submitted)+len(*submitted2) != 1 {
		t.Fatalf("stored %d times (stats %+v), want once", len(*submitted)+len(*submitted2), st)
	}
	other := uuid.New()
	if r := p2.request(body, &other); string(r[1]) == string(first[1]) {
		t.Fatal("another client request got the same Titanic UUID")
	}
	if a, b := p2.request(body, nil), p2.request(body, nil); string(a[1]) == string(b[1]) {
		t.Fatal("two plain requests got the same UUID")
	}
}
